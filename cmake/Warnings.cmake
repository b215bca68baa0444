# INTERFACE target tc_warnings: the warning set of STYLE.md §3.3, each flag probed.
include(CheckCCompilerFlag)
add_library(tc_warnings INTERFACE)
set(_tc_flags
    -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wold-style-definition -Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 -Wundef
    -Wvla -Wconversion -Wsign-conversion -Wimplicit-fallthrough -Wnull-dereference
    -Wjump-misses-init -Wduplicated-cond -Wduplicated-branches -Wlogical-op)
foreach(flag IN LISTS _tc_flags)
    string(MAKE_C_IDENTIFIER "TC_HAS${flag}" var)
    check_c_compiler_flag(${flag} ${var})
    if(${var})
        target_compile_options(tc_warnings INTERFACE ${flag})
    endif()
endforeach()
if(TC_WERROR)
    target_compile_options(tc_warnings INTERFACE -Werror)
endif()
