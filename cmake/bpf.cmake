# BPF CO-RE programs: built at build time from the running kernel's BTF with Debian's
# clang and bpftool, loaded through a bpftool-generated skeleton and libbpf.
#
#   netstat_bpf_skeleton(<target> <source.bpf.c>)
#
# compiles <source.bpf.c> to <name>.bpf.o, generates <name>.skel.h from it, and defines
# the INTERFACE library <target>: its include directory holds the skeleton
# (#include "<name>.skel.h", struct <name>_bpf, <name>_bpf__open_and_load() ...) and it
# links libbpf. <name> is the source's file name
# without ".bpf.c".
#
# When clang, bpftool, libbpf or /sys/kernel/btf/vmlinux is missing at configure time,
# NETSTAT_HAVE_BPF is OFF, one message says what is missing, netstat_bpf_skeleton()
# defines <target> as an empty INTERFACE library, and the exporter still builds: code
# that loads BPF checks the NETSTAT_HAVE_BPF compile definition (0 or 1, on every
# target) and reports "BPF not built in" instead.

option(NETSTAT_BPF "Build the BPF collectors when the tools and BTF are there" ON)
set(NETSTAT_VMLINUX_BTF "/sys/kernel/btf/vmlinux" CACHE FILEPATH
    "Kernel BTF from which vmlinux.h is generated")

set(_netstat_bpf_missing "")
if(NOT NETSTAT_BPF)
  list(APPEND _netstat_bpf_missing "NETSTAT_BPF=OFF")
endif()
find_program(NETSTAT_CLANG clang)
find_program(NETSTAT_BPFTOOL bpftool HINTS /usr/sbin /sbin)
pkg_check_modules(LIBBPF QUIET IMPORTED_TARGET libbpf)
if(NOT NETSTAT_CLANG)
  list(APPEND _netstat_bpf_missing "clang")
endif()
if(NOT NETSTAT_BPFTOOL)
  list(APPEND _netstat_bpf_missing "bpftool")
endif()
if(NOT LIBBPF_FOUND)
  list(APPEND _netstat_bpf_missing "libbpf (libbpf-dev)")
endif()
if(NOT EXISTS "${NETSTAT_VMLINUX_BTF}")
  list(APPEND _netstat_bpf_missing "kernel BTF (${NETSTAT_VMLINUX_BTF})")
endif()

if(_netstat_bpf_missing)
  set(NETSTAT_HAVE_BPF OFF)
  list(JOIN _netstat_bpf_missing ", " _netstat_bpf_missing_text)
  message(STATUS "BPF collectors not built in: missing ${_netstat_bpf_missing_text} "
                 "(make deps installs clang, libbpf-dev and bpftool; BTF needs a kernel with "
                 "CONFIG_DEBUG_INFO_BTF)")
else()
  set(NETSTAT_HAVE_BPF ON)
  message(STATUS "BPF collectors built in (libbpf ${LIBBPF_VERSION}, BTF ${NETSTAT_VMLINUX_BTF})")
endif()

if(NETSTAT_HAVE_BPF)
  add_compile_definitions(NETSTAT_HAVE_BPF=1)
else()
  add_compile_definitions(NETSTAT_HAVE_BPF=0)
endif()

set(NETSTAT_BPF_GEN_DIR "${CMAKE_BINARY_DIR}/bpf")
set(NETSTAT_VMLINUX_H "${NETSTAT_BPF_GEN_DIR}/vmlinux.h")

# vmlinux.h once per build directory, for every BPF program.
if(NETSTAT_HAVE_BPF AND NOT TARGET netstat_vmlinux_h)
  add_custom_command(
    OUTPUT "${NETSTAT_VMLINUX_H}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${NETSTAT_BPF_GEN_DIR}"
    COMMAND "${NETSTAT_BPFTOOL}" btf dump file "${NETSTAT_VMLINUX_BTF}" format c
            > "${NETSTAT_VMLINUX_H}.tmp"
    COMMAND ${CMAKE_COMMAND} -E rename "${NETSTAT_VMLINUX_H}.tmp" "${NETSTAT_VMLINUX_H}"
    COMMENT "Generating vmlinux.h from ${NETSTAT_VMLINUX_BTF}"
    VERBATIM)
  add_custom_target(netstat_vmlinux_h DEPENDS "${NETSTAT_VMLINUX_H}")
endif()

function(netstat_bpf_skeleton target source)
  add_library(${target} INTERFACE)
  if(NOT NETSTAT_HAVE_BPF)
    return()
  endif()
  get_filename_component(_src "${source}" ABSOLUTE)
  get_filename_component(_file "${_src}" NAME)
  string(REGEX REPLACE "\\.bpf\\.c$" "" _name "${_file}")
  set(_dir "${NETSTAT_BPF_GEN_DIR}/${target}")
  set(_obj "${_dir}/${_name}.bpf.o")
  set(_skel "${_dir}/${_name}.skel.h")
  # The arch define selects the right pt_regs layout for bpf_tracing.h macros.
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    set(_arch x86)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
    set(_arch arm64)
  else()
    set(_arch ${CMAKE_SYSTEM_PROCESSOR})
  endif()
  set(_includes -I "${NETSTAT_BPF_GEN_DIR}" -I "${CMAKE_SOURCE_DIR}")
  foreach(_inc IN LISTS LIBBPF_INCLUDE_DIRS)
    list(APPEND _includes -I "${_inc}")
  endforeach()
  add_custom_command(
    OUTPUT "${_obj}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${_dir}"
    COMMAND "${NETSTAT_CLANG}" -g -O2 -Wall -target bpf -D__TARGET_ARCH_${_arch}
            ${_includes} -MD -MF "${_obj}.d" -c "${_src}" -o "${_obj}"
    DEPENDS "${_src}" "${NETSTAT_VMLINUX_H}"
    DEPFILE "${_obj}.d"
    COMMENT "Compiling BPF program ${_file}"
    VERBATIM)
  add_custom_command(
    OUTPUT "${_skel}"
    COMMAND "${NETSTAT_BPFTOOL}" gen skeleton "${_obj}" name "${_name}_bpf" > "${_skel}.tmp"
    COMMAND ${CMAKE_COMMAND} -E rename "${_skel}.tmp" "${_skel}"
    DEPENDS "${_obj}"
    COMMENT "Generating BPF skeleton ${_name}.skel.h"
    VERBATIM)
  add_custom_target(${target}_gen DEPENDS "${_skel}")
  add_dependencies(${target}_gen netstat_vmlinux_h)
  add_dependencies(${target} ${target}_gen)
  target_include_directories(${target} INTERFACE "${_dir}")
  target_link_libraries(${target} INTERFACE PkgConfig::LIBBPF)
endfunction()
