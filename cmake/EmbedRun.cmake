# cmake -DOUT=file.c -DSYMBOL=name -DFILES="a|b|c" -P EmbedRun.cmake (see Embed.cmake).
include(${CMAKE_CURRENT_LIST_DIR}/Embed.cmake)
string(REPLACE "|" ";" files "${FILES}")
tc_embed_write(${OUT} ${SYMBOL} ${files})
