# RADIUS reply fuzzer (owner: radius). The codec is compiled into the target so coverage
# reaches it; seeds live in corpus/radius/.
set(RADIUS_DIR ${CMAKE_SOURCE_DIR}/aaa/radius)
vpdnd_add_fuzzer(NAME radius
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/radius/fuzz_radius_reply.cpp
          ${RADIUS_DIR}/codec.cpp ${RADIUS_DIR}/tunnel.cpp
  LIBS vpdnd_common OpenSSL::Crypto)
target_include_directories(fuzz_radius PRIVATE ${CMAKE_SOURCE_DIR})
