# Cost of escaping peer text and masking PPP secrets (Google Benchmark).
add_executable(printable_bench ${CMAKE_CURRENT_LIST_DIR}/printable/printable_bench.cpp)
target_link_libraries(printable_bench PRIVATE vpdnd_common benchmark::benchmark)
