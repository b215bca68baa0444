# Message catalogues: po/<lang>.po is compiled by msgfmt (format strings checked against
# their msgids) into <build>/po/<lang>.mo at build time, and the .mo files are embedded
# into a generated C file, so tincay needs no system locale and no installed catalogue.
#   tc_catalogs(OUT LANG...): OUT defines tc_catalogs[] (see include/tincay/embedded.h).
find_program(MSGFMT msgfmt REQUIRED)

function(tc_catalogs out)
    set(mo_files "")
    foreach(lang IN LISTS ARGN)
        set(po ${PROJECT_SOURCE_DIR}/po/${lang}.po)
        set(mo ${CMAKE_BINARY_DIR}/po/${lang}.mo)
        add_custom_command(OUTPUT ${mo}
            COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/po
            COMMAND ${MSGFMT} --check-format --check-header -o ${mo} ${po}
            DEPENDS ${po}
            COMMENT "Compiling message catalogue ${lang}.po"
            VERBATIM)
        list(APPEND mo_files ${mo})
    endforeach()
    tc_embed_files_at_build(${out} tc_catalogs ${mo_files})
endfunction()
