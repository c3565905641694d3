# Data plane (owner: dataplane): a bare TUN<->UDP relay, batched, single thread, and the
# LNS user-space path (vpdn engine + netlink) measured in the same run when the engine exists.
add_executable(bench_dataplane ${CMAKE_CURRENT_LIST_DIR}/dataplane/relay_bench.cpp)
target_include_directories(bench_dataplane PRIVATE ${CMAKE_SOURCE_DIR})
target_link_libraries(bench_dataplane PRIVATE vpdnd_netlink_tun vpdnd_common Threads::Threads)
if(TARGET vpdnd_vpdn_engine)
  target_sources(bench_dataplane PRIVATE ${CMAKE_CURRENT_LIST_DIR}/dataplane/lns_path.cpp)
  target_link_libraries(bench_dataplane PRIVATE vpdnd_vpdn_engine)
  target_compile_definitions(bench_dataplane PRIVATE BENCH_HAVE_LNS=1)
endif()
