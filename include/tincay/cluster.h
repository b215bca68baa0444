#ifndef TC_CLUSTER_H
#define TC_CLUSTER_H

#include <stddef.h>

#include "tincay/status.h"

/*
 * The private PostgreSQL cluster: what tincay runs when neither TINCAY_DATABASE_URL nor
 * libpq's PG* variables name a database. It is made once with the newest initdb found
 * under /usr/lib/postgresql/<version>/bin, listens on a Unix socket only (in a 0700
 * directory, peer authentication), logs to <data_dir>/postgresql.log and is reused by
 * later starts. The first process to start it holds it (a lock in the data directory) until
 * tc_cluster_stop(), which stops it; a second process meanwhile (`tincay user add` while
 * `tincay serve` runs) borrows it: it gets the same conninfo, and its stop stops nothing.
 *
 * Where it lives:
 *   - as an ordinary user: <data_dir>/pg/data, socket in <data_dir>/pg/s (or in
 *     /tmp/tincay-<uid>-<id> when that path would pass the 107-byte socket limit);
 *   - as root (initdb refuses root): the system user `tincay` is created once and runs the
 *     cluster in /var/lib/tincay/clusters/<id>/ (data/ and socket s/), where <id> is the
 *     first 12 hex digits of a BLAKE2b hash of the absolute data directory; the path is
 *     recorded in <data_dir>/cluster.path and read from there on later starts.
 */
struct tc_cluster;

/*
 * Make (once) and start the private cluster of `data_dir` (created 0700 when missing),
 * create the database `tincay` when it is missing, and write a libpq conninfo for it to
 * `conninfo_out` ("host=<socket dir> port=5432 dbname=tincay user=<owner>"). A cluster
 * left running by a process that died is adopted; a stale postmaster.pid is cleared.
 * Returns NULL on failure, with the end of the cluster's log in err->detail.
 */
struct tc_cluster *tc_cluster_start(const char *data_dir, char *conninfo_out, size_t conninfo_size,
                                    struct tc_error *err);

/* Stop the cluster (pg_ctl stop -m fast), release the data directory and free. Accepts NULL. */
void tc_cluster_stop(struct tc_cluster *cluster);

/* The directory holding the cluster's data/ (and usually its socket), for messages. */
const char *tc_cluster_location(const struct tc_cluster *cluster);

#endif /* TC_CLUSTER_H */
