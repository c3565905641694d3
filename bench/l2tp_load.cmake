# L2TP load generator: many LACs towards one LNS; prints its figures.
add_executable(l2tp_load ${CMAKE_CURRENT_LIST_DIR}/l2tp_load/main.cpp)
target_link_libraries(l2tp_load PRIVATE vpdnd_vpdn_codec)
# Per-message codec cost (Google Benchmark).
add_executable(l2tp_codec_bench ${CMAKE_CURRENT_LIST_DIR}/l2tp_load/codec_bench.cpp)
target_link_libraries(l2tp_codec_bench PRIVATE vpdnd_vpdn_codec benchmark::benchmark)
# Reliable transport with a burst queued behind the peer's window (Google Benchmark).
add_executable(l2tp_transport_bench ${CMAKE_CURRENT_LIST_DIR}/l2tp_load/transport_bench.cpp)
target_link_libraries(l2tp_transport_bench PRIVATE vpdnd_vpdn_engine benchmark::benchmark)
