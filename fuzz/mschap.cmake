# MS-CHAP fuzzer: the Response/Success/Failure parsers and PppSession as MS-CHAP
# authenticator and peer fed with fuzzed CHAP packets. ppp/core and common/mschap are
# compiled into the target so coverage and the sanitizers see them.
file(GLOB vpdnd_mschap_fuzz_ppp_sources ${CMAKE_SOURCE_DIR}/ppp/core/*.cpp)
vpdnd_add_fuzzer(NAME mschap
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/mschap/fuzz_mschap.cpp ${vpdnd_mschap_fuzz_ppp_sources}
          ${CMAKE_SOURCE_DIR}/common/mschap.cpp
  LIBS vpdnd_common vpdnd_config OpenSSL::Crypto)
target_include_directories(fuzz_mschap PRIVATE ${CMAKE_SOURCE_DIR})
