# cmake -DDIST=dir -DDATA=file.c -DENTRY=file.c -P WebformsEmbed.cmake (see Webforms.cmake):
# embeds vite's output and names the entry script and style sheet from its manifest.
include(${CMAKE_CURRENT_LIST_DIR}/Embed.cmake)
file(READ ${DIST}/manifest.json manifest)
string(JSON entry_js GET "${manifest}" "src/main.js" "file")
string(JSON entry_css GET "${manifest}" "style.css" "file")
file(GLOB files ${DIST}/*.js ${DIST}/*.css ${DIST}/*.js.gz ${DIST}/*.css.gz)
list(SORT files)
tc_embed_write(${DATA} tc_webforms_files ${files})
file(CONFIGURE OUTPUT ${ENTRY} CONTENT
     "#include \"tincay/embedded.h\"\nconst char tc_webforms_entry_js[] = \"${entry_js}\";\nconst char tc_webforms_entry_css[] = \"${entry_css}\";\n")
