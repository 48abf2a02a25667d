# The layering in the build: each library's headers are reachable only
# through its own include root, <build>/include/<dir>/<dir> -> src/<dir>,
# which the library exports PUBLIC. A target therefore sees the headers of
# exactly the libraries it links: ringboot_tftp, which links ringboot_base
# only, cannot include "io/ring.h" or "app/config.h". The allowed
# dependencies are the target_link_libraries lines; scripts/check-layering
# checks the same list by grep (it also runs in CI and as a ctest).
function(ringboot_include_root target dir)
  set(root ${PROJECT_BINARY_DIR}/include/${dir})
  file(MAKE_DIRECTORY ${root})
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${dir} ${root}/${dir} SYMBOLIC)
  target_include_directories(${target} PUBLIC ${root})
endfunction()
