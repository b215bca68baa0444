# TC_SANITIZE (e.g. "address,undefined") applies to every target; release hardening otherwise.
if(TC_SANITIZE)
    add_compile_options(-fsanitize=${TC_SANITIZE} -fno-omit-frame-pointer
                        -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${TC_SANITIZE})
endif()
if(TC_HARDEN)
    add_compile_definitions(_FORTIFY_SOURCE=2)
    add_compile_options(-fstack-protector-strong -fPIE)
    add_link_options(-pie -Wl,-z,relro,-z,now)
    set(CMAKE_POSITION_INDEPENDENT_CODE ON)
endif()
