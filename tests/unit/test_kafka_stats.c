/*
 * Unit tests for librdkafka's statistics read into where the time went
 * (kafka/stats.c): two documents captured from kengine's own clients (a
 * producer and a single consumer of a 3-broker embedded cluster with 20 ms
 * added round trip; "req" maps, most partition fields and most toppars
 * dropped to keep them short) give each broker's figures in ms, the
 * consumer's lag, and leave out the group coordinator's logical handle; the
 * run's accumulation weighs the windows' means; a document that is no JSON
 * is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "kafka.h"

static const char PRODUCER[] = "{\"name\":\"rdkafka#producer-3\",\"type\":\"producer\",\"ts\":"
                               "2565909295,\"brokers\":{\"127."
                               "0.0.1:41553/3\":{\"name\":\"127.0.0.1:41553/"
                               "3\",\"nodeid\":3,\"nodename\":\"127.0.0.1:41553"
                               "\",\"source\":\"configured\",\"state\":\"UP\",\"int_latency\":{"
                               "\"min\":28,\"max\":153869,\"a"
                               "vg\":12596,\"sum\":10140260,\"stddev\":6787,\"p50\":9791,"
                               "\"p75\":15935,\"p90\":19455,\"p95\""
                               ":20991,\"p99\":25343,\"p99_99\":28031,\"outofrange\":13,"
                               "\"hdrsize\":11376,\"cnt\":805},\"out"
                               "buf_latency\":{\"min\":11,\"max\":437,\"avg\":77,\"sum\":2413,"
                               "\"stddev\":84,\"p50\":50,\"p75"
                               "\":90,\"p90\":183,\"p95\":187,\"p99\":437,\"p99_99\":437,"
                               "\"outofrange\":0,\"hdrsize\":11376,"
                               "\"cnt\":31},\"rtt\":{\"min\":20027,\"max\":151718,\"avg\":"
                               "25886,\"sum\":802492,\"stddev\":23"
                               "100,\"p50\":21119,\"p75\":21759,\"p90\":25087,\"p95\":26239,"
                               "\"p99\":152575,\"p99_99\":152575"
                               ",\"outofrange\":0,\"hdrsize\":13424,\"cnt\":31},\"throttle\":{"
                               "\"min\":0,\"max\":0,\"avg\":0,"
                               "\"sum\":0,\"stddev\":0,\"p50\":0,\"p75\":0,\"p90\":0,\"p95\":0,"
                               "\"p99\":0,\"p99_99\":0,\"outo"
                               "frange\":0,\"hdrsize\":17520,\"cnt\":0},\"toppars\":{\"ts-2\":{"
                               "\"topic\":\"ts\",\"partition"
                               "\":2}}},\"127.0.0.1:44477/2\":{\"name\":\"127.0.0.1:44477/"
                               "2\",\"nodeid\":2,\"nodename\":\"12"
                               "7.0.0.1:44477\",\"source\":\"configured\",\"state\":\"UP\","
                               "\"int_latency\":{\"min\":25,\"max"
                               "\":145887,\"avg\":9688,\"sum\":14038110,\"stddev\":7588,"
                               "\"p50\":7391,\"p75\":17791,\"p90\":2"
                               "0735,\"p95\":20863,\"p99\":22527,\"p99_99\":24831,"
                               "\"outofrange\":1,\"hdrsize\":11376,\"cnt\""
                               ":1449},\"outbuf_latency\":{\"min\":13,\"max\":1670,\"avg\":213,"
                               "\"sum\":7259,\"stddev\":334,"
                               "\"p50\":78,\"p75\":267,\"p90\":583,\"p95\":679,\"p99\":1671,"
                               "\"p99_99\":1671,\"outofrange\":0"
                               ",\"hdrsize\":11376,\"cnt\":34},\"rtt\":{\"min\":19947,\"max\":"
                               "145916,\"avg\":25150,\"sum\":8"
                               "80278,\"stddev\":20972,\"p50\":20863,\"p75\":21631,\"p90\":"
                               "23295,\"p95\":24319,\"p99\":14643"
                               "1,\"p99_99\":146431,\"outofrange\":0,\"hdrsize\":13424,\"cnt\":"
                               "35},\"throttle\":{\"min\":0,"
                               "\"max\":0,\"avg\":0,\"sum\":0,\"stddev\":0,\"p50\":0,\"p75\":0,"
                               "\"p90\":0,\"p95\":0,\"p99\":0"
                               ",\"p99_99\":0,\"outofrange\":0,\"hdrsize\":17520,\"cnt\":0},"
                               "\"toppars\":{\"ts-1\":{\"topic\""
                               ":\"ts\",\"partition\":1}}},\"127.0.0.1:37321/"
                               "1\":{\"name\":\"127.0.0.1:37321/1\",\"nodeid\":"
                               "1,\"nodename\":\"127.0.0.1:37321\",\"source\":\"configured\","
                               "\"state\":\"UP\",\"int_latency"
                               "\":{\"min\":29,\"max\":30050,\"avg\":10566,\"sum\":7819346,"
                               "\"stddev\":7039,\"p50\":9599,\"p7"
                               "5\":16767,\"p90\":20095,\"p95\":21119,\"p99\":27775,\"p99_99\":"
                               "30079,\"outofrange\":0,\"hdrs"
                               "ize\":11376,\"cnt\":740},\"outbuf_latency\":{\"min\":15,"
                               "\"max\":187,\"avg\":70,\"sum\":1962,"
                               "\"stddev\":42,\"p50\":66,\"p75\":91,\"p90\":114,\"p95\":150,"
                               "\"p99\":187,\"p99_99\":187,\"out"
                               "ofrange\":0,\"hdrsize\":11376,\"cnt\":28},\"rtt\":{\"min\":"
                               "20299,\"max\":162204,\"avg\":2655"
                               "8,\"sum\":743651,\"stddev\":26192,\"p50\":20991,\"p75\":21247,"
                               "\"p90\":23551,\"p95\":30207,\""
                               "p99\":162815,\"p99_99\":162815,\"outofrange\":0,\"hdrsize\":"
                               "13424,\"cnt\":28},\"throttle\":{"
                               "\"min\":0,\"max\":0,\"avg\":0,\"sum\":0,\"stddev\":0,\"p50\":0,"
                               "\"p75\":0,\"p90\":0,\"p95\":0"
                               ",\"p99\":0,\"p99_99\":0,\"outofrange\":0,\"hdrsize\":17520,"
                               "\"cnt\":0},\"toppars\":{\"ts-0\":"
                               "{\"topic\":\"ts\",\"partition\":0}}}},\"topics\":{\"ts\":{"
                               "\"topic\":\"ts\",\"age\":2000,\"me"
                               "tadata_age\":1934,\"partitions\":{\"0\":{\"partition\":0,\"app_"
                               "offset\":-1001,\"stored_offse"
                               "t\":-1001,\"committed_offset\":-1001,\"hi_offset\":-1001,"
                               "\"consumer_lag\":-1,\"consumer_lag_"
                               "stored\":-1},\"1\":{\"partition\":1,\"app_offset\":-1001,"
                               "\"stored_offset\":-1001,\"committed"
                               "_offset\":-1001,\"hi_offset\":-1001,\"consumer_lag\":-1,"
                               "\"consumer_lag_stored\":-1},\"2\":{"
                               "\"partition\":2,\"app_offset\":-1001,\"stored_offset\":-1001,"
                               "\"committed_offset\":-1001,\"hi"
                               "_offset\":-1001,\"consumer_lag\":-1,\"consumer_lag_stored\":-1}"
                               ",\"-1\":{\"partition\":-1,\"a"
                               "pp_offset\":-1001,\"stored_offset\":-1001,\"committed_offset\":"
                               "-1001,\"hi_offset\":-1001,\"c"
                               "onsumer_lag\":-1,\"consumer_lag_stored\":-1}}}}}";

static const char CONSUMER[] =
    "{\"name\":\"rdkafka#consumer-2\",\"type\":\"consumer\",\"ts\":2565907747,\"brokers\":{"
    "\"127."
    "0.0.1:41553/3\":{\"name\":\"127.0.0.1:41553/"
    "3\",\"nodeid\":3,\"nodename\":\"127.0.0.1:41553"
    "\",\"source\":\"configured\",\"state\":\"UP\",\"int_latency\":{\"min\":0,\"max\":0,"
    "\"avg\":0"
    ",\"sum\":0,\"stddev\":0,\"p50\":0,\"p75\":0,\"p90\":0,\"p95\":0,\"p99\":0,\"p99_99\":0,"
    "\"out"
    "ofrange\":0,\"hdrsize\":11376,\"cnt\":0},\"outbuf_latency\":{\"min\":6,\"max\":334,"
    "\"avg\":2"
    "6,\"sum\":1593,\"stddev\":46,\"p50\":14,\"p75\":26,\"p90\":39,\"p95\":68,\"p99\":167,"
    "\"p99_9"
    "9\":335,\"outofrange\":0,\"hdrsize\":11376,\"cnt\":61},\"rtt\":{\"min\":20249,\"max\":"
    "133382"
    ",\"avg\":29805,\"sum\":1818108,\"stddev\":16876,\"p50\":24575,\"p75\":30975,\"p90\":38143,"
    "\""
    "p95\":62207,\"p99\":70655,\"p99_99\":134143,\"outofrange\":0,\"hdrsize\":13424,\"cnt\":61}"
    ","
    "\"throttle\":{\"min\":0,\"max\":0,\"avg\":0,\"sum\":0,\"stddev\":0,\"p50\":0,\"p75\":0,"
    "\"p90"
    "\":0,\"p95\":0,\"p99\":0,\"p99_99\":0,\"outofrange\":0,\"hdrsize\":17520,\"cnt\":0},"
    "\"toppar"
    "s\":{\"ts-2\":{\"topic\":\"ts\",\"partition\":2}}},\"127.0.0.1:44477/"
    "2\":{\"name\":\"127.0.0"
    ".1:44477/"
    "2\",\"nodeid\":2,\"nodename\":\"127.0.0.1:44477\",\"source\":\"configured\",\"state"
    "\":\"UP\",\"int_latency\":{\"min\":0,\"max\":0,\"avg\":0,\"sum\":0,\"stddev\":0,\"p50\":0,"
    "\""
    "p75\":0,\"p90\":0,\"p95\":0,\"p99\":0,\"p99_99\":0,\"outofrange\":0,\"hdrsize\":11376,"
    "\"cnt"
    "\":0},\"outbuf_latency\":{\"min\":5,\"max\":162,\"avg\":23,\"sum\":1517,\"stddev\":26,"
    "\"p50"
    "\":17,\"p75\":22,\"p90\":42,\"p95\":71,\"p99\":143,\"p99_99\":162,\"outofrange\":0,"
    "\"hdrsize"
    "\":11376,\"cnt\":64},\"rtt\":{\"min\":20182,\"max\":151874,\"avg\":27238,\"sum\":1743273,"
    "\"s"
    "tddev\":17746,\"p50\":21759,\"p75\":25727,\"p90\":33791,\"p95\":43263,\"p99\":63487,\"p99_"
    "99"
    "\":152575,\"outofrange\":0,\"hdrsize\":13424,\"cnt\":64},\"throttle\":{\"min\":0,\"max\":"
    "0,"
    "\"avg\":0,\"sum\":0,\"stddev\":0,\"p50\":0,\"p75\":0,\"p90\":0,\"p95\":0,\"p99\":0,\"p99_"
    "99"
    "\":0,\"outofrange\":0,\"hdrsize\":17520,\"cnt\":0},\"toppars\":{\"ts-1\":{\"topic\":"
    "\"ts\","
    "\"partition\":1}}},\"127.0.0.1:37321/1\":{\"name\":\"127.0.0.1:37321/"
    "1\",\"nodeid\":1,\"node"
    "name\":\"127.0.0.1:37321\",\"source\":\"configured\",\"state\":\"UP\",\"int_latency\":{"
    "\"min"
    "\":0,\"max\":0,\"avg\":0,\"sum\":0,\"stddev\":0,\"p50\":0,\"p75\":0,\"p90\":0,\"p95\":0,"
    "\"p9"
    "9\":0,\"p99_99\":0,\"outofrange\":0,\"hdrsize\":11376,\"cnt\":0},\"outbuf_latency\":{"
    "\"min\""
    ":5,\"max\":151,\"avg\":25,\"sum\":1583,\"stddev\":24,\"p50\":18,\"p75\":29,\"p90\":48,"
    "\"p95"
    "\":67,\"p99\":96,\"p99_99\":151,\"outofrange\":0,\"hdrsize\":11376,\"cnt\":61},\"rtt\":{"
    "\"mi"
    "n\":20107,\"max\":167790,\"avg\":29572,\"sum\":1803904,\"stddev\":20432,\"p50\":22783,"
    "\"p75"
    "\":28799,\"p90\":41983,\"p95\":44287,\"p99\":81919,\"p99_99\":167935,\"outofrange\":0,"
    "\"hdrs"
    "ize\":13424,\"cnt\":61},\"throttle\":{\"min\":0,\"max\":0,\"avg\":0,\"sum\":0,\"stddev\":"
    "0,"
    "\"p50\":0,\"p75\":0,\"p90\":0,\"p95\":0,\"p99\":0,\"p99_99\":0,\"outofrange\":0,"
    "\"hdrsize\":"
    "17520,\"cnt\":0},\"toppars\":{\"ts-0\":{\"topic\":\"ts\",\"partition\":0}}},"
    "\"GroupCoordinat"
    "or\":{\"name\":\"GroupCoordinator\",\"nodeid\":3,\"nodename\":\"127.0.0.1:41553\","
    "\"source\""
    ":\"logical\",\"state\":\"UP\",\"int_latency\":{\"min\":0,\"max\":0,\"avg\":0,\"sum\":0,"
    "\"std"
    "dev\":0,\"p50\":0,\"p75\":0,\"p90\":0,\"p95\":0,\"p99\":0,\"p99_99\":0,\"outofrange\":0,"
    "\"hd"
    "rsize\":11376,\"cnt\":0},\"outbuf_latency\":{\"min\":0,\"max\":0,\"avg\":0,\"sum\":0,"
    "\"stdde"
    "v\":0,\"p50\":0,\"p75\":0,\"p90\":0,\"p95\":0,\"p99\":0,\"p99_99\":0,\"outofrange\":0,"
    "\"hdrs"
    "ize\":11376,\"cnt\":0},\"rtt\":{\"min\":0,\"max\":0,\"avg\":0,\"sum\":0,\"stddev\":0,"
    "\"p50\""
    ":0,\"p75\":0,\"p90\":0,\"p95\":0,\"p99\":0,\"p99_99\":0,\"outofrange\":0,\"hdrsize\":"
    "13424,"
    "\"cnt\":0},\"throttle\":{\"min\":0,\"max\":0,\"avg\":0,\"sum\":0,\"stddev\":0,\"p50\":0,"
    "\"p7"
    "5\":0,\"p90\":0,\"p95\":0,\"p99\":0,\"p99_99\":0,\"outofrange\":0,\"hdrsize\":17520,"
    "\"cnt\":"
    "0},\"toppars\":{}}},\"topics\":{\"ts\":{\"topic\":\"ts\",\"age\":2000,\"metadata_age\":"
    "1937,"
    "\"partitions\":{\"0\":{\"partition\":0,\"app_offset\":1606,\"stored_offset\":1606,"
    "\"committe"
    "d_offset\":-1001,\"hi_offset\":1606,\"consumer_lag\":-1,\"consumer_lag_stored\":0},\"1\":{"
    "\""
    "partition\":1,\"app_offset\":2309,\"stored_offset\":2309,\"committed_offset\":-1001,\"hi_"
    "off"
    "set\":2367,\"consumer_lag\":-1,\"consumer_lag_stored\":58},\"2\":{\"partition\":2,\"app_"
    "offs"
    "et\":1866,\"stored_offset\":1866,\"committed_offset\":-1001,\"hi_offset\":1881,\"consumer_"
    "la"
    "g\":-1,\"consumer_lag_stored\":15},\"-1\":{\"partition\":-1,\"app_offset\":-1001,\"stored_"
    "of"
    "fset\":-1001,\"committed_offset\":-1001,\"hi_offset\":-1001,\"consumer_lag\":-1,"
    "\"consumer_l"
    "ag_stored\":-1}}}}}";

/* The broker of id `id` in w, or NULL. */
static const run_broker *find(const kafka_stats_window *w, int id) {
    for (size_t i = 0; i < w->nbrokers; i++)
        if (w->brokers[i].b.id == id) return &w->brokers[i].b;
    return NULL;
}

/* Each broker's figures as the document has them (microseconds / 1000). */
static void producer_brokers(void **state) {
    (void)state;
    static const struct {
        int id;
        const char *name;
        uint64_t requests, queued;
        double rtt_mean, rtt_p99, queue_mean, queue_p99, outbuf;
    } want[] = {
        {3, "127.0.0.1:41553", 31, 805, 25.886, 152.575, 12.596, 25.343, 0.077},
        {2, "127.0.0.1:44477", 35, 1449, 25.150, 146.431, 9.688, 22.527, 0.213},
        {1, "127.0.0.1:37321", 28, 740, 26.558, 162.815, 10.566, 27.775, 0.070},
    };
    kafka_stats_window w;
    char err[128];
    assert_int_equal(kafka_stats_parse(PRODUCER, &w, err, sizeof err), 0);
    assert_int_equal(w.nbrokers, 3);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const run_broker *b = find(&w, want[i].id);
        assert_non_null(b);
        assert_string_equal(b->name, want[i].name);
        assert_int_equal(b->requests, want[i].requests);
        assert_true(fabs(b->rtt_mean_ms - want[i].rtt_mean) < 1e-9);
        assert_true(fabs(b->rtt_p99_ms - want[i].rtt_p99) < 1e-9);
        assert_true(fabs(b->queue_mean_ms - want[i].queue_mean) < 1e-9);
        assert_true(fabs(b->queue_p99_ms - want[i].queue_p99) < 1e-9);
        assert_true(fabs(b->outbuf_mean_ms - want[i].outbuf) < 1e-9);
        assert_true(b->throttle_max_ms == 0);
        assert_int_equal(w.brokers[i].queued, want[i].queued);
    }
    assert_false(w.lag_known); /* a producer's partitions have no lag */
    assert_int_equal(w.consumer_lag, 0);
}

/* The consumer: three brokers (the GroupCoordinator handle, which shares
 * broker 3's id, is no broker of its own), lag 0 + 58 + 15 from the
 * partitions' consumer_lag_stored (consumer_lag is -1: nothing committed). */
static void consumer_lag_and_coordinator(void **state) {
    (void)state;
    kafka_stats_window w;
    char err[128];
    assert_int_equal(kafka_stats_parse(CONSUMER, &w, err, sizeof err), 0);
    assert_int_equal(w.nbrokers, 3);
    const run_broker *b3 = find(&w, 3);
    assert_non_null(b3);
    assert_string_equal(b3->name, "127.0.0.1:41553");
    assert_int_equal(b3->requests, 61);
    assert_true(fabs(b3->rtt_mean_ms - 29.805) < 1e-9);
    assert_true(w.lag_known);
    assert_int_equal(w.consumer_lag, 73);
    /* per partition (the internal partition -1 left out) */
    assert_int_equal(w.npart, 3);
    assert_int_equal(w.part_lag[0], 0);
    assert_int_equal(w.part_lag[1], 58);
    assert_int_equal(w.part_lag[2], 15);
}

/* Over the run: means weighted by requests (resp. queued messages), p99 the
 * worst window's; the latest window on a batch. */
static void run_accumulation(void **state) {
    (void)state;
    kafka_stats s;
    kafka_stats_init(&s);
    kafka_stats_window a = {.nbrokers = 1}, b = {.nbrokers = 1};
    a.brokers[0] = (kafka_stats_broker){.b = {.id = 7,
                                              .name = "h:1",
                                              .requests = 10,
                                              .rtt_mean_ms = 2,
                                              .rtt_p99_ms = 5,
                                              .queue_mean_ms = 1,
                                              .queue_p99_ms = 3},
                                        .queued = 100};
    b.brokers[0] = (kafka_stats_broker){.b = {.id = 7,
                                              .name = "h:1",
                                              .requests = 30,
                                              .rtt_mean_ms = 10,
                                              .rtt_p99_ms = 4,
                                              .queue_mean_ms = 5,
                                              .queue_p99_ms = 9,
                                              .throttle_max_ms = 12},
                                        .queued = 300};
    b.consumer_lag = 40;
    b.lag_known = true;
    kafka_stats_add(&s, &a);
    kafka_stats_add(&s, &b);
    run_broker out[RUN_BROKERS_MAX];
    assert_int_equal(kafka_stats_run(&s, out, RUN_BROKERS_MAX), 1);
    assert_int_equal(out[0].id, 7);
    assert_int_equal(out[0].requests, 40);
    assert_true(fabs(out[0].rtt_mean_ms - 8.0) < 1e-9); /* (2*10 + 10*30) / 40 */
    assert_true(out[0].rtt_p99_ms == 5);
    assert_true(fabs(out[0].queue_mean_ms - 4.0) < 1e-9); /* (1*100 + 5*300) / 400 */
    assert_true(out[0].queue_p99_ms == 9);
    assert_true(out[0].throttle_max_ms == 12);
    assert_int_equal(kafka_stats_lag_max(&s), 40);
    /* each partition's largest over the windows */
    kafka_stats_window c = {.npart = 2, .lag_known = true, .consumer_lag = 9};
    c.part_lag[0] = 9;
    c.part_lag[1] = -1;
    kafka_stats_window d = {.npart = 3, .lag_known = true, .consumer_lag = 8};
    d.part_lag[0] = 2;
    d.part_lag[1] = 5;
    d.part_lag[2] = 1;
    kafka_stats_add(&s, &c);
    kafka_stats_add(&s, &d);
    uint64_t lag[4];
    assert_int_equal(kafka_stats_part_lag(&s, lag, 4), 3);
    assert_int_equal(lag[0], 9);
    assert_int_equal(lag[1], 5);
    assert_int_equal(lag[2], 1);
    assert_int_equal(kafka_stats_lag_max(&s), 40);
    kafka_stats_add(&s, &b);
    run_batch batch = {0};
    kafka_stats_batch(&s, &batch);
    assert_int_equal(batch.nbrokers, 1);
    assert_true(batch.brokers[0].rtt_mean_ms == 10); /* the latest window's */
    assert_int_equal(batch.consumer_lag, 40);
    run_batch_free(&batch);
    kafka_stats_destroy(&s);
}

static void not_json(void **state) {
    (void)state;
    kafka_stats_window w;
    char err[128] = "";
    assert_int_equal(kafka_stats_parse("{\"brokers\":{", &w, err, sizeof err), -1);
    assert_true(err[0]);
    kafka_stats s;
    kafka_stats_init(&s);
    assert_int_equal(kafka_stats_take(&s, "nope"), -1);
    assert_int_equal(s.windows, 0);
    kafka_stats_destroy(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(producer_brokers),
        cmocka_unit_test(consumer_lag_and_coordinator),
        cmocka_unit_test(run_accumulation),
        cmocka_unit_test(not_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
