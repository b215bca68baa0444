# tc_web_assets(OUT FILE...): writes a C file defining the web interface's static assets,
#   const struct tc_static_asset tc_static_assets[]; const size_t tc_static_assets_count;
# each with its name ("app.css"), its name with the first 12 hex digits of its SHA-256
# ("app.1a2b3c4d5e6f.css", the URL that may be cached for a year) and its bytes. Runs at
# configure time and again whenever one of the files changes.
function(tc_web_assets out)
    set(body "#include <stddef.h>\n#include \"web/static.h\"\n")
    set(table "")
    set(i 0)
    foreach(f IN LISTS ARGN)
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${f})
        get_filename_component(name ${f} NAME)
        get_filename_component(stem ${f} NAME_WLE)
        get_filename_component(ext ${f} LAST_EXT)
        file(SHA256 ${f} sha)
        string(SUBSTRING ${sha} 0 12 short)
        file(READ ${f} hex HEX)
        file(SIZE ${f} size)
        string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
        string(APPEND body "static const unsigned char asset_${i}[] = {${bytes}0x00};\n")
        string(APPEND table
               "    {\"${name}\", \"${stem}.${short}${ext}\", (const char *)asset_${i}, ${size}},\n")
        math(EXPR i "${i} + 1")
    endforeach()
    string(APPEND body "const struct tc_static_asset tc_static_assets[] = {\n${table}")
    string(APPEND body "    {NULL, NULL, NULL, 0}};\nconst size_t tc_static_assets_count = ${i};\n")
    file(CONFIGURE OUTPUT ${out} CONTENT "${body}" @ONLY)
endfunction()
