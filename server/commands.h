#ifndef TC_COMMANDS_H
#define TC_COMMANDS_H

/*
 * One function per `tincay` subcommand, each in server/cmd_<name>.c. argv[0] is the
 * subcommand's name. Each returns the exit status (0 ok, 1 failure, 2 misuse), prints
 * results to stdout and errors to stderr, and leaves nothing half-done on failure.
 */
int tc_cmd_serve(int argc, char **argv);
int tc_cmd_version(int argc, char **argv);
int tc_cmd_audit(int argc, char **argv);
int tc_cmd_migrate(int argc, char **argv);
int tc_cmd_user(int argc, char **argv);
int tc_cmd_form(int argc, char **argv);
int tc_cmd_appuser(int argc, char **argv);
int tc_cmd_unit(int argc, char **argv);
int tc_cmd_keys(int argc, char **argv);
int tc_cmd_rules(int argc, char **argv);
int tc_cmd_norms(int argc, char **argv);
int tc_cmd_areas(int argc, char **argv);
int tc_cmd_support(int argc, char **argv);
int tc_cmd_demo(int argc, char **argv);

#endif /* TC_COMMANDS_H */
