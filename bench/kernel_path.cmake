# Kernel data path (owner: kpath): what reading kernel sessions' counters costs the engine
# thread (one rtnetlink link dump for every session, one read per session down).
add_executable(bench_link_stats ${CMAKE_CURRENT_LIST_DIR}/kernel_path/link_stats_bench.cpp)
target_include_directories(bench_link_stats PRIVATE ${CMAKE_SOURCE_DIR})
target_link_libraries(bench_link_stats PRIVATE vpdnd_netlink_tun vpdnd_common)
