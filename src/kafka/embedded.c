/*
 * embedded: librdkafka's mock cluster as kengine's zero-setup broker.
 *
 * The mock cluster lives inside an rd_kafka_t handle, so we create a bare
 * producer handle just to own it. It speaks the Kafka protocol on a
 * loopback port: any client (ours or another process's) can use it.
 * librdkafka 2.0.2's mock keeps only about 5 MiB per partition and has no
 * CreateTopics, hence kafka_embedded_topic() and the hub's window.
 *
 * Faults (for `kengine broker --fault`) use the mock's own controls: a
 * broker set down, response delays, and error stacks per request type.
 */
#include "kafka.h"
#include "conf.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BROKERS 64
/* Kafka protocol ApiKeys (librdkafka's names for them are private) */
#define API_PRODUCE 0
#define API_FETCH   1

/* A partition's log start as last read (kafka_embedded_dropped). */
typedef struct {
    char *topic;
    int partition;
    int64_t start;
} log_start;

struct kafka_embedded {
    rd_kafka_t *rk; /* owns the cluster */
    rd_kafka_mock_cluster_t *mcluster;
    int brokers;                /* ids 1..brokers */
    bool down[MAX_BROKERS + 1]; /* by broker id */
    rd_kafka_t *meta;           /* a client of the cluster, for leaders (lazy) */
    log_start *starts;          /* every partition seen, for kafka_embedded_dropped */
    size_t nstarts, capstarts;
};

/* A quiet client of our own cluster, to read partition leaders. */
static rd_kafka_t *meta_client(kafka_embedded *e) {
    if (e->meta) return e->meta;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256];
    if (rd_kafka_conf_set(conf, "bootstrap.servers",
                          rd_kafka_mock_cluster_bootstraps(e->mcluster), errstr,
                          sizeof errstr) ||
        rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr) ||
        rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "500", errstr, sizeof errstr)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    e->meta = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!e->meta) rd_kafka_conf_destroy(conf);
    return e->meta;
}

kafka_embedded *kafka_embedded_start(int brokers, char *err, size_t errlen) {
    if (brokers < 1 || brokers > MAX_BROKERS) {
        snprintf(err, errlen, "embedded broker: 1 to %d brokers, not %d", MAX_BROKERS, brokers);
        return NULL;
    }
    kafka_embedded *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256];
    kafka_log_attach_broker(conf);
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    e->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!e->rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "embedded broker: %s", errstr);
        free(e);
        return NULL;
    }
    e->mcluster = rd_kafka_mock_cluster_new(e->rk, brokers);
    if (!e->mcluster) {
        snprintf(err, errlen, "embedded broker: cannot start the mock cluster");
        rd_kafka_destroy(e->rk);
        free(e);
        return NULL;
    }
    e->brokers = brokers;
    /* with several brokers a fault may move leaders: connect now, so that
     * reading them then is quick */
    if (brokers > 1) meta_client(e);
    return e;
}

const char *kafka_embedded_bootstraps(const kafka_embedded *e) {
    return rd_kafka_mock_cluster_bootstraps(e->mcluster);
}

/* The mock picks each partition's leader at random among its replicas;
 * spread them round-robin over the replicas instead, as Kafka does, so that
 * a fault on one broker predictably hits the partitions it leads. */
static void spread_leaders(kafka_embedded *e, const char *topic) {
    rd_kafka_t *mc = meta_client(e);
    rd_kafka_topic_t *rkt = mc ? rd_kafka_topic_new(mc, topic, NULL) : NULL;
    const struct rd_kafka_metadata *md;
    if (!rkt) return;
    if (rd_kafka_metadata(mc, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int t = 0; t < md->topic_cnt; t++) {
            const struct rd_kafka_metadata_topic *tp = &md->topics[t];
            for (int i = 0; !strcmp(tp->topic, topic) && i < tp->partition_cnt; i++) {
                const struct rd_kafka_metadata_partition *p = &tp->partitions[i];
                if (p->replica_cnt > 0)
                    rd_kafka_mock_partition_set_leader(e->mcluster, topic, p->id,
                                                       p->replicas[p->id % p->replica_cnt]);
            }
        }
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(rkt);
}

int kafka_embedded_topic(kafka_embedded *e, const char *topic, int partitions, char *err,
                         size_t errlen) {
    int replication = e->brokers < 3 ? e->brokers : 3;
    rd_kafka_resp_err_t rc =
        rd_kafka_mock_topic_create(e->mcluster, topic, partitions, replication);
    if (rc && rc != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        snprintf(err, errlen, "embedded broker: cannot create topic '%s': %s", topic,
                 rd_kafka_err2str(rc));
        return -1;
    }
    if (e->brokers > 1 && !rc) spread_leaders(e, topic);
    return 0;
}

void kafka_embedded_stop(kafka_embedded *e) {
    if (!e) return;
    if (e->meta) rd_kafka_destroy(e->meta);
    rd_kafka_mock_cluster_destroy(e->mcluster);
    rd_kafka_destroy(e->rk);
    for (size_t i = 0; i < e->nstarts; i++) free(e->starts[i].topic);
    free(e->starts);
    free(e);
}

int kafka_embedded_brokers(const kafka_embedded *e) { return e->brokers; }

/* ---- faults ---- */

static int broker_id_ok(const kafka_embedded *e, int id, char *msg, size_t msglen) {
    if (id >= 1 && id <= e->brokers) return 1;
    snprintf(msg, msglen, "no broker %d (brokers are 1..%d)", id, e->brokers);
    return 0;
}

/* An up broker other than `id` to take over a partition: a replica if one
 * is up, else any. -1 if none. */
static int new_leader(const kafka_embedded *e, int id,
                      const struct rd_kafka_metadata_partition *p) {
    for (int r = 0; r < p->replica_cnt; r++) {
        int b = p->replicas[r];
        if (b != id && b >= 1 && b <= e->brokers && !e->down[b]) return b;
    }
    for (int b = 1; b <= e->brokers; b++)
        if (b != id && !e->down[b]) return b;
    return -1;
}

int kafka_embedded_broker_down(kafka_embedded *e, int id, char *msg, size_t msglen) {
    if (!broker_id_ok(e, id, msg, msglen)) return -1;
    int moved = 0, stuck = 0;
    char where[128] = "";
    rd_kafka_t *mc = e->brokers > 1 ? meta_client(e) : NULL;
    const struct rd_kafka_metadata *md = NULL;
    if (mc && rd_kafka_metadata(mc, 1, NULL, &md, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        md = NULL;
    for (int t = 0; md && t < md->topic_cnt; t++) {
        const struct rd_kafka_metadata_topic *tp = &md->topics[t];
        for (int i = 0; i < tp->partition_cnt; i++) {
            const struct rd_kafka_metadata_partition *p = &tp->partitions[i];
            if (p->leader != id) continue;
            int to = new_leader(e, id, p);
            if (to < 0 ||
                rd_kafka_mock_partition_set_leader(e->mcluster, tp->topic, p->id, to)) {
                stuck++;
                continue;
            }
            if (!moved++)
                snprintf(where, sizeof where, " (first: %s [%d] to broker %d)", tp->topic,
                         (int)p->id, to);
        }
    }
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_resp_err_t rc = rd_kafka_mock_broker_set_down(e->mcluster, id);
    if (rc) {
        snprintf(msg, msglen, "cannot take broker %d down: %s", id, rd_kafka_err2str(rc));
        return -1;
    }
    e->down[id] = true;
    if (e->brokers == 1)
        snprintf(msg, msglen, "broker %d down: the cluster's only broker, nothing is served",
                 id);
    else if (!mc || (!moved && !stuck && !md))
        snprintf(msg, msglen, "broker %d down (could not read its partitions: none moved)", id);
    else
        snprintf(msg, msglen,
                 "broker %d down: %d partition leader%s moved to other brokers%s%s", id, moved,
                 moved == 1 ? "" : "s", where,
                 stuck ? ", some left without one (no broker up)" : "");
    return 0;
}

int kafka_embedded_broker_up(kafka_embedded *e, int id, char *msg, size_t msglen) {
    if (!broker_id_ok(e, id, msg, msglen)) return -1;
    rd_kafka_resp_err_t rc = rd_kafka_mock_broker_set_up(e->mcluster, id);
    if (rc) {
        snprintf(msg, msglen, "cannot bring broker %d up: %s", id, rd_kafka_err2str(rc));
        return -1;
    }
    e->down[id] = false;
    snprintf(msg, msglen, "broker %d up", id);
    return 0;
}

int kafka_embedded_rtt(kafka_embedded *e, int id, int ms, char *msg, size_t msglen) {
    if (id && !broker_id_ok(e, id, msg, msglen)) return -1;
    for (int b = id ? id : 1; b <= (id ? id : e->brokers); b++) {
        rd_kafka_resp_err_t rc = rd_kafka_mock_broker_set_rtt(e->mcluster, b, ms);
        if (rc) {
            snprintf(msg, msglen, "cannot set broker %d's round-trip time: %s", b,
                     rd_kafka_err2str(rc));
            return -1;
        }
    }
    char whose[32] = "every";
    if (id) snprintf(whose, sizeof whose, "broker %d's", id);
    if (ms)
        snprintf(msg, msglen, "%d ms added to %s response's round trip", ms, whose);
    else
        snprintf(msg, msglen, "round-trip delay removed (%s responses)", id ? whose : "every");
    return 0;
}

int kafka_embedded_request_errors(kafka_embedded *e, kafka_embedded_api api, int count,
                                  char *msg, size_t msglen) {
    /* Retriable, and neither appends nor returns data: the client must
     * retry (refreshing its metadata) without loss or duplication. */
    static const rd_kafka_resp_err_t produce_errs[] = {
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT};
    static const rd_kafka_resp_err_t fetch_errs[] = {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                                     RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE};
    const rd_kafka_resp_err_t *cycle =
        api == KAFKA_EMBEDDED_PRODUCE ? produce_errs : fetch_errs;
    if (count < 1) {
        snprintf(msg, msglen, "error count must be at least 1");
        return -1;
    }
    rd_kafka_resp_err_t *errs = malloc((size_t)count * sizeof *errs);
    if (!errs) {
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    for (int i = 0; i < count; i++) errs[i] = cycle[i % 2];
    rd_kafka_mock_push_request_errors_array(
        e->mcluster, api == KAFKA_EMBEDDED_PRODUCE ? API_PRODUCE : API_FETCH, (size_t)count,
        errs);
    free(errs);
    snprintf(msg, msglen, "the next %d %s requests fail with %s and %s in turn", count,
             api == KAFKA_EMBEDDED_PRODUCE ? "Produce" : "Fetch", rd_kafka_err2name(cycle[0]),
             rd_kafka_err2name(cycle[1]));
    return 0;
}

const char *kafka_version(void) { return rd_kafka_version_str(); }

/* The slot of (topic, partition) in e->starts, added at start 0; NULL on OOM. */
static log_start *start_of(kafka_embedded *e, const char *topic, int partition) {
    for (size_t i = 0; i < e->nstarts; i++)
        if (e->starts[i].partition == partition && !strcmp(e->starts[i].topic, topic))
            return &e->starts[i];
    if (e->nstarts == e->capstarts) {
        size_t cap = e->capstarts ? 2 * e->capstarts : 16;
        log_start *n = realloc(e->starts, cap * sizeof *n);
        if (!n) return NULL;
        e->starts = n;
        e->capstarts = cap;
    }
    log_start *s = &e->starts[e->nstarts];
    if (!(s->topic = strdup(topic))) return NULL;
    s->partition = partition;
    s->start = 0;
    e->nstarts++;
    return s;
}

int kafka_embedded_dropped(kafka_embedded *e, kafka_embedded_drop_fn fn, void *ud) {
    rd_kafka_t *mc = meta_client(e);
    const struct rd_kafka_metadata *md = NULL;
    if (!mc || rd_kafka_metadata(mc, 1, NULL, &md, 2000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return -1;
    for (int t = 0; t < md->topic_cnt; t++) {
        const struct rd_kafka_metadata_topic *tp = &md->topics[t];
        for (int i = 0; i < tp->partition_cnt; i++) {
            int64_t lo, hi;
            if (rd_kafka_query_watermark_offsets(mc, tp->topic, tp->partitions[i].id, &lo, &hi,
                                                 1000))
                continue;
            log_start *s = start_of(e, tp->topic, tp->partitions[i].id);
            if (!s) break;
            if (lo > s->start) {
                fn(ud, tp->topic, tp->partitions[i].id, s->start, lo);
                s->start = lo;
            }
        }
    }
    rd_kafka_metadata_destroy(md);
    return 0;
}
