#include <stdio.h>

#include "commands.h"
#include "tincay/embedded.h"

int
tc_cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("tincay %s (schema %zu)\n", TC_VERSION, tc_migrations_count);
    return 0;
}
