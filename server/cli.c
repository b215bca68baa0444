#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *synopsis;
    const char *help;
};

/* Every subcommand, in the order `tincay --help` lists them. */
static const struct command commands[] = {
    {"serve", tc_cmd_serve, "serve",
     "Run the HTTP server until SIGINT or SIGTERM (configured by TINCAY_* variables)."},
    {"version", tc_cmd_version, "version", "Print the version of tincay and its schema."},
    {"audit", tc_cmd_audit, "audit verify",
     "Chain the audit rows committed so far and check the whole chain; names the first broken "
     "row."},
    {"migrate", tc_cmd_migrate, "migrate [--status]",
     "Apply the database migrations this tincay carries (--status: list them, change nothing)."},
    {"user", tc_cmd_user, "user add|password|list|disable ...",
     "Manage accounts. `user add LOGIN --role ROLE [--commune CODE] [--province CODE] [--name\n"
     "NAME] [--language vi|en]`; `user password LOGIN [--old]`; `user list`; `user disable\n"
     "LOGIN`. An escrow officer (--role escrow --province CODE) gets a key pair wrapped under\n"
     "their password. `--old` reads the old password, then the new one, and re-wraps the\n"
     "account's keys; without it (an admin reset) a host loses their unit keys (restored\n"
     "through escrow) and an escrow officer is refused.\n"
     "A password is read from stdin when it is not a terminal, else generated and shown once.\n"
     "Roles: admin, collector, host, escrow, reviewer, approver, viewer. CODE: \"03388\" (the\n"
     "communes since 1 July 2025) or \"pre2025:03388\"."},
    {"form", tc_cmd_form, "form add|publish|close|media|list ...",
     "Manage XForms. `form add FILE [--draft]` loads the form (refused with the reason when it\n"
     "does not load) and stores its exact bytes, published unless --draft; `form publish ID\n"
     "[VERSION]` publishes a draft (the newest when no version is named); `form close ID`\n"
     "moves it to closing (no longer listed, submissions still accepted) and `form close ID\n"
     "--now` to closed (submissions refused); `form media ID FILE...` adds media files to the\n"
     "newest version (content type by extension); `form list`."},
    {"appuser", tc_cmd_appuser, "appuser add|list|revoke ...",
     "Manage ODK Collect app users. `appuser add NAME --form ID [--form ID]... [--unit CODE]`\n"
     "creates one (--unit: the phone of that Trusted Address unit), prints its token once as\n"
     "the server URL to paste into Collect\n"
     "(TINCAY_PUBLIC_URL/key/TOKEN); `appuser list`; `appuser revoke ID` (takes effect at once)."},
    {"unit", tc_cmd_unit, "unit add|list|invite|join|remove ...",
     "Trusted Address units. `unit add CODE --name NAME --commune CODE` (its key is sealed to\n"
     "the province's escrow officer); `unit list`; `unit invite CODE --by LOGIN` (a member or\n"
     "the escrow officer; their password on stdin) prints a one-time invitation; `unit join\n"
     "LOGIN` (the invitation, then LOGIN's password, on stdin) makes a host a member; `unit\n"
     "remove CODE LOGIN` deletes a member's key."},
    {"keys", tc_cmd_keys, "keys status|rotate",
     "The server's key file (TINCAY_KEY_FILE). `keys status`: data keys per key id; `keys\n"
     "rotate`: a new current key, every data key re-wrapped under it while the server runs,\n"
     "and old keys no data key uses are dropped."},
    {"rules", tc_cmd_rules, "rules load|activate|work|allocation ...",
     "Eligibility rulesets (docs/rules.md). `rules load FILE` stores a ruleset checked against "
     "its\n"
     "form; `rules activate ID VERSION` makes it score and queues re-scoring of every group (old\n"
     "scores are kept); `rules work` runs queued re-scoring now; `rules allocation ERA:CODE YEAR\n"
     "AMOUNT` sets a commune's budget for a year."},
    {"norms", tc_cmd_norms, "norms load|set|list ...",
     "Norms (định mức). `norms load FILE` (CSV, forms/rules/norms-tt55-2023.csv); `norms set ITEM\n"
     "AMOUNT --basis \"...\"` records a new amount with its legal basis (history is kept);\n"
     "`norms list [--history]`. Without an amount no support is ever recommended."},
    {"areas", tc_cmd_areas, "areas load|villages-csv ...",
     "Area classification (khu vực, thôn ĐBKK). `areas load FILE` (CSV keyed by era, commune\n"
     "code, village name; unverified rows fail the area gate); `areas villages-csv DIR` writes\n"
     "the survey's villages.csv media from the village rows."},
    {"support", tc_cmd_support, "support import FILE.csv [--source NAME]",
     "Import the support registry (program,year,registration_number,group_name,commune,\n"
     "content,amount) for the duplicate-support gate; group names are kept only as blind\n"
     "indexes."},
    {"demo", tc_cmd_demo, "demo load [--forms DIR] [--year YYYY]",
     "Fill an EMPTY database with a labelled demonstration (not official figures): Tam Đường\n"
     "areas, demo norms and allocations, one account per role (passwords shown once), the\n"
     "livelihood form and 36 scored groups. README.md, \"Trying it\"."},
};

static void
usage(FILE *out)
{
    fprintf(out, "usage: tincay <command> [arguments]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %s\n", commands[i].synopsis);
    fprintf(out, "\n`tincay help COMMAND` explains one command.\n");
}

static const struct command *
find(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int
help(int argc, char **argv)
{
    const struct command *cmd;

    if (argc < 2) {
        usage(stdout);
        return 0;
    }
    if ((cmd = find(argv[1])) == NULL) {
        fprintf(stderr, "tincay: unknown command \"%s\"\n", argv[1]);
        return 2;
    }
    printf("usage: tincay %s\n\n%s\n", cmd->synopsis, cmd->help);
    return 0;
}

int
tc_cli_main(int argc, char **argv)
{
    const struct command *cmd;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0)
        return help(argc - 1, argv + 1);
    if ((cmd = find(argv[1])) == NULL) {
        fprintf(stderr, "tincay: unknown command \"%s\"; see `tincay --help`\n", argv[1]);
        return 2;
    }
    if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0))
        return help(2, argv);
    return cmd->run(argc - 1, argv + 1);
}
