# tc_embed_write(OUT SYMBOL FILE...): writes a C file defining
#   const struct tc_embedded SYMBOL[]; const size_t SYMBOL_count;
# with each file's base name and bytes (rewritten only when its content changes).
# Usable in script mode (cmake -P), which is how tc_embed_files_at_build runs it.
function(tc_embed_write out symbol)
    set(body "#include <stddef.h>\n#include \"tincay/embedded.h\"\n")
    set(table "")
    set(i 0)
    foreach(f IN LISTS ARGN)
        get_filename_component(name ${f} NAME)
        file(READ ${f} hex HEX)
        file(SIZE ${f} size)
        string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
        string(APPEND body "static const unsigned char ${symbol}_${i}[] = {${bytes}0x00};\n")
        string(APPEND table "    {\"${name}\", (const char *)${symbol}_${i}, ${size}},\n")
        math(EXPR i "${i} + 1")
    endforeach()
    string(APPEND body "const struct tc_embedded ${symbol}[] = {\n${table}    {NULL, NULL, 0}};\n")
    string(APPEND body "const size_t ${symbol}_count = ${i};\n")
    file(CONFIGURE OUTPUT ${out} CONTENT "${body}" @ONLY)
endfunction()

# tc_embed_files(OUT SYMBOL FILE...): the same at configure time, for source files (re-run
# when a file changes).
function(tc_embed_files out symbol)
    foreach(f IN LISTS ARGN)
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${f})
    endforeach()
    tc_embed_write(${out} ${symbol} ${ARGN})
endfunction()

# tc_embed_files_at_build(OUT SYMBOL FILE...): the same at build time, for files the build
# itself produces (compiled catalogues); OUT is regenerated whenever one of them changes.
function(tc_embed_files_at_build out symbol)
    string(JOIN "|" files ${ARGN})
    add_custom_command(OUTPUT ${out}
        COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DSYMBOL=${symbol} -DFILES=${files}
                -P ${PROJECT_SOURCE_DIR}/cmake/EmbedRun.cmake
        DEPENDS ${ARGN} ${PROJECT_SOURCE_DIR}/cmake/EmbedRun.cmake
                ${PROJECT_SOURCE_DIR}/cmake/Embed.cmake
        COMMENT "Embedding ${symbol}"
        VERBATIM)
endfunction()
