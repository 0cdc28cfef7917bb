/*
 * conf: builds librdkafka configurations from kengine's defaults and
 * the workload's property tables. Private to the kafka/ layer.
 */
#ifndef KENGINE_KAFKA_CONF_H
#define KENGINE_KAFKA_CONF_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "workload.h"

/* A configuration with bootstrap.servers, then each of the `defaults`
 * (NULL-terminated name, value pairs), then the user's `props` (which win).
 * `what` names the table in errors ("producer", "consumer"). NULL + err on
 * a bad property. */
rd_kafka_conf_t *kafka_conf_build(const char *brokers, const char *const *defaults,
                                  const workload_props *props, const char *what, char *err,
                                  size_t errlen);

/* Routes the handle's log lines through kengine's logger (kafka/log.c). */
void kafka_log_attach(rd_kafka_conf_t *conf);
void kafka_log_attach_broker(rd_kafka_conf_t *conf); /* the embedded broker's */

/* Copies the security-related user properties (security.*, sasl.*, ssl.*)
 * so admin handles can reach a protected cluster. */
int kafka_conf_copy_security(rd_kafka_conf_t *conf, const workload_props *props, char *err,
                             size_t errlen);

#endif
