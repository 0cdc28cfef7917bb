/*
 * kafka_embedded: librdkafka's mock cluster as kengine's zero-setup broker.
 *
 * The mock cluster lives inside an rd_kafka_t handle, so we create a bare
 * producer handle just to own it. It speaks the Kafka protocol on a
 * loopback port: any client (ours or another process's) can use it.
 * librdkafka 2.0.2's mock keeps only about 5 MiB per partition and has no
 * CreateTopics, hence kafka_embedded_topic() and the pipeline's window.
 */
#include "kafka.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>

struct kafka_embedded {
    rd_kafka_t *rk;                 /* owns the cluster */
    rd_kafka_mock_cluster_t *mcluster;
};

kafka_embedded *kafka_embedded_start(int brokers, char *err, size_t errlen) {
    kafka_embedded *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256];
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
    return e;
}

const char *kafka_embedded_bootstraps(const kafka_embedded *e) {
    return rd_kafka_mock_cluster_bootstraps(e->mcluster);
}

int kafka_embedded_topic(kafka_embedded *e, const char *topic, int partitions,
                         char *err, size_t errlen) {
    rd_kafka_resp_err_t rc =
        rd_kafka_mock_topic_create(e->mcluster, topic, partitions, 1);
    if (rc && rc != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        snprintf(err, errlen, "embedded broker: cannot create topic '%s': %s", topic,
                 rd_kafka_err2str(rc));
        return -1;
    }
    return 0;
}

void kafka_embedded_stop(kafka_embedded *e) {
    if (!e) return;
    rd_kafka_mock_cluster_destroy(e->mcluster);
    rd_kafka_destroy(e->rk);
    free(e);
}

const char *kafka_version(void) { return rd_kafka_version_str(); }
