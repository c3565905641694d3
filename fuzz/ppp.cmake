# PPP decoders and the PPP session automaton under libFuzzer. The ppp/core
# sources are compiled into the target (not linked from vpdnd_ppp_core) so that libFuzzer's
# coverage instrumentation and the sanitizers see the code under test.
file(GLOB vpdnd_ppp_fuzz_sources ${CMAKE_SOURCE_DIR}/ppp/core/*.cpp)
vpdnd_add_fuzzer(NAME ppp SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/ppp/fuzz_ppp.cpp ${vpdnd_ppp_fuzz_sources}
  LIBS vpdnd_common vpdnd_config OpenSSL::Crypto)
