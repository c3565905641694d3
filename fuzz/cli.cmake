# The command language under libFuzzer: config files / typed lines, `?` and Tab, and the
# save-and-boot round trip of whatever config they leave. cli/lang is compiled into the
# target so the fuzzer's coverage instrumentation reaches the grammar and the commands; the
# L2TP state names the displays use come with it (vpdn/status.cpp, not the whole engine).
file(GLOB vpdnd_cli_lang_fuzz_sources ${CMAKE_SOURCE_DIR}/cli/lang/*.cpp)
vpdnd_add_fuzzer(NAME cli_config
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli/fuzz_cli_config.cpp ${vpdnd_cli_lang_fuzz_sources}
    ${CMAKE_SOURCE_DIR}/vpdn/status.cpp
  LIBS vpdnd_login_guard vpdnd_ssh_keys vpdnd_config vpdnd_common OpenSSL::Crypto)
target_include_directories(fuzz_cli_config PRIVATE ${CMAKE_SOURCE_DIR})
target_compile_definitions(fuzz_cli_config PRIVATE VPDND_VERSION="${PROJECT_VERSION}")
