package io.towerrelay.proxy;

import io.towerrelay.logging.AccessLog;
import io.towerrelay.logging.ExchangeRecord;
import io.towerrelay.upstream.Nodes;
import io.towerrelay.upstream.UpstreamClient;
import io.towerrelay.upstream.UpstreamRequests;
import io.towerrelay.admin.RelayMetrics;
import io.towerrelay.config.UpstreamConfig;

/** What every exchange handler shares: the upstream nodes and their pools, the request rules, metrics and the access log. */
record ProxyServices(UpstreamClient upstream, Nodes nodes, UpstreamConfig upstreamConfig, UpstreamRequests requests,
        RelayMetrics metrics, AccessLog accessLog) {

    /** Counts and logs a finished exchange, once. */
    void finish(ExchangeRecord record) {
        if (record.finish()) {
            metrics.requestCompleted(record.protocol(), record.status, record.elapsedNanos(), record.bytesIn, record.bytesOut);
            accessLog.log(record);
        }
    }
}
