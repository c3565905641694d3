# RADIUS client under load (owner: radius): 1,000 users at once against a loopback server
# that answers after 1.5 s, with and without a black-holed accounting server; prints figures.
add_executable(radius_load ${CMAKE_CURRENT_LIST_DIR}/radius/main.cpp)
target_link_libraries(radius_load PRIVATE vpdnd_aaa_radius)
target_include_directories(radius_load PRIVATE ${CMAKE_SOURCE_DIR})
