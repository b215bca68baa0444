#ifndef TC_CLI_H
#define TC_CLI_H

/*
 * The `tincay` command: dispatches to serve and the admin commands (server/cli.c holds
 * the table). Returns the process exit status: 0 on success, 1 on failure, 2 on misuse.
 */
int tc_cli_main(int argc, char **argv);

#endif /* TC_CLI_H */
