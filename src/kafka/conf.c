/*
 * conf: defaults first, user properties last, errors that name the
 * property and the table it came from.
 */
#include "conf.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int set(rd_kafka_conf_t *conf, const char *what, const char *name, const char *value,
               char *err, size_t errlen) {
    char errstr[256];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        snprintf(err, errlen, "%s property '%s': %s", what, name, errstr);
        return -1;
    }
    return 0;
}

rd_kafka_conf_t *kafka_conf_build(const char *brokers, const char *const *defaults,
                                  const workload_props *props, const char *what, char *err,
                                  size_t errlen) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    kafka_log_attach(conf);
    if (set(conf, what, "bootstrap.servers", brokers, err, errlen)) goto fail;
    for (size_t i = 0; defaults && defaults[i]; i += 2)
        if (set(conf, what, defaults[i], defaults[i + 1], err, errlen)) goto fail;
    for (size_t i = 0; props && i < props->n; i++)
        if (set(conf, what, props->items[i].name, props->items[i].value, err, errlen))
            goto fail;
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

int kafka_conf_copy_security(rd_kafka_conf_t *conf, const workload_props *props, char *err,
                             size_t errlen) {
    for (size_t i = 0; i < props->n; i++) {
        const char *n = props->items[i].name;
        if (!strncmp(n, "security.", 9) || !strncmp(n, "sasl.", 5) || !strncmp(n, "ssl.", 4) ||
            !strncmp(n, "ssl_", 4))
            if (set(conf, "producer", n, props->items[i].value, err, errlen)) return -1;
    }
    return 0;
}
