# Data plane baseline (owner: dataplane): a bare TUN<->UDP relay, batched, single thread.
add_executable(bench_dataplane ${CMAKE_CURRENT_LIST_DIR}/dataplane/relay_bench.cpp)
target_include_directories(bench_dataplane PRIVATE ${CMAKE_SOURCE_DIR})
target_link_libraries(bench_dataplane PRIVATE vpdnd_netlink_tun vpdnd_common Threads::Threads)
