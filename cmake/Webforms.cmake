# Browser form filling: ODK Web Forms (web/webforms, npm) built by vite into content-hashed
# files that are compiled into the binary and served under /static/webforms/.
#
# tc_webforms(DATA_C ENTRY_C): DATA_C defines `tc_webforms_files[]` (the built scripts and
# style sheets, each also gzip-compressed as <name>.gz) and ENTRY_C the names of the entry
# script and style sheet (server/handlers/webforms.h). With TC_WEBFORMS on, `npm ci` and
# `npm run build` run in the build tree (${CMAKE_BINARY_DIR}/webforms: a copy of the sources,
# its node_modules and its output), never in the source tree; `npm ci` again only when
# package.json or package-lock.json change. With it off, the table is empty and the fill
# page says that browser form filling is not built in.
find_program(TC_NPM npm)
find_program(TC_NODE node)
set(tc_webforms_default OFF)
if(TC_NPM AND TC_NODE)
    execute_process(COMMAND ${TC_NODE} --version OUTPUT_VARIABLE tc_node_version
                    OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE tc_node_result)
    string(REGEX REPLACE "^v" "" tc_node_version "${tc_node_version}")
    # vite 6 runs on Node.js 18 (Debian 12's) and later.
    if(tc_node_result EQUAL 0 AND tc_node_version VERSION_GREATER_EQUAL 18)
        set(tc_webforms_default ON)
    else()
        message(STATUS "ODK Web Forms needs Node.js 18 or later (found \"${tc_node_version}\")")
    endif()
endif()
option(TC_WEBFORMS "Build ODK Web Forms into the binary (needs Node.js 18+ and npm)"
       ${tc_webforms_default})

function(tc_webforms data_c entry_c)
    if(NOT TC_WEBFORMS)
        tc_embed_write(${data_c} tc_webforms_files)
        file(CONFIGURE OUTPUT ${entry_c} CONTENT
             "#include \"tincay/embedded.h\"\nconst char tc_webforms_entry_js[] = \"\";\nconst char tc_webforms_entry_css[] = \"\";\n")
        return()
    endif()
    if(NOT TC_NPM OR NOT TC_NODE)
        message(FATAL_ERROR "TC_WEBFORMS is on but node or npm was not found "
                            "(scripts/ensure-packages build installs them)")
    endif()
    set(src ${PROJECT_SOURCE_DIR}/web/webforms)
    set(work ${CMAKE_BINARY_DIR}/webforms)
    set(sources ${src}/vite.config.js ${src}/odk-styles.js ${src}/ui-text.js ${src}/compress.mjs)
    set(app_sources ${src}/src/main.js ${src}/src/ui-text.js)
    file(MAKE_DIRECTORY ${work}/src)
    add_custom_command(OUTPUT ${work}/npm-ci.stamp
        COMMAND ${CMAKE_COMMAND} -E copy_if_different ${src}/package.json ${src}/package-lock.json
                ${work}
        COMMAND ${TC_NPM} ci --no-audit --no-fund --loglevel=error
        COMMAND ${CMAKE_COMMAND} -E touch ${work}/npm-ci.stamp
        DEPENDS ${src}/package.json ${src}/package-lock.json
        WORKING_DIRECTORY ${work}
        COMMENT "npm ci for ODK Web Forms"
        VERBATIM)
    add_custom_command(OUTPUT ${data_c} ${entry_c}
        COMMAND ${CMAKE_COMMAND} -E copy_if_different ${sources} ${work}
        COMMAND ${CMAKE_COMMAND} -E copy_if_different ${app_sources} ${work}/src
        COMMAND ${CMAKE_COMMAND} -E env TC_WEBFORMS_OUT_DIR=${work}/dist
                ${TC_NPM} run build --silent
        COMMAND ${CMAKE_COMMAND} -DDIST=${work}/dist -DDATA=${data_c} -DENTRY=${entry_c}
                -P ${PROJECT_SOURCE_DIR}/cmake/WebformsEmbed.cmake
        DEPENDS ${work}/npm-ci.stamp ${sources} ${app_sources}
                ${PROJECT_SOURCE_DIR}/cmake/WebformsEmbed.cmake ${PROJECT_SOURCE_DIR}/cmake/Embed.cmake
        WORKING_DIRECTORY ${work}
        COMMENT "Building ODK Web Forms (vite) and embedding it"
        VERBATIM)
endfunction()
