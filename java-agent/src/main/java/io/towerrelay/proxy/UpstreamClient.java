package io.towerrelay.proxy;

import io.towerrelay.config.UpstreamConfig;
import java.net.URI;
import java.util.concurrent.Future;
import javax.net.ssl.SSLContext;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.impl.bootstrap.AsyncRequesterBootstrap;
import org.apache.hc.core5.http.impl.bootstrap.HttpAsyncRequester;
import org.apache.hc.core5.http.nio.AsyncClientEndpoint;
import org.apache.hc.core5.http.protocol.HttpProcessorBuilder;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.pool.PoolReusePolicy;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The upstream side: HttpCore5's {@link HttpAsyncRequester} with a keep-alive pool. Chosen over httpclient5's
 * async client because a proxy wants the bare exchange (no redirects, cookies, auth, retries or added headers)
 * and the requester's endpoint lease lets the relay decide per exchange whether the connection is reusable.
 */
final class UpstreamClient {
    private final HttpAsyncRequester requester;
    private final HttpHost target;
    private final Timeout connectTimeout;

    private UpstreamClient(HttpAsyncRequester requester, HttpHost target, Timeout connectTimeout) {
        this.requester = requester;
        this.target = target;
        this.connectTimeout = connectTimeout;
    }

    static UpstreamClient start(UpstreamConfig config, SSLContext sslContext) {
        URI url = config.url();
        HttpHost target = new HttpHost(url.getScheme(), url.getHost(),
                url.getPort() >= 0 ? url.getPort() : (config.https() ? 443 : 80));
        AsyncRequesterBootstrap bootstrap = AsyncRequesterBootstrap.bootstrap()
                .setIOReactorConfig(IOReactorConfig.custom()
                        // Between two reads of a response: past it the exchange fails and the client gets 504.
                        // It also closes pooled connections idle that long.
                        .setSoTimeout(config.responseTimeout())
                        .setTcpNoDelay(true)
                        .setSoKeepAlive(true)
                        .setIoThreadCount(Math.max(1, Runtime.getRuntime().availableProcessors()))
                        .build())
                // Only framing: no User-Agent, no Expect, no Host rewriting; the request is the client's.
                .setHttp1Config(Http1Config.custom().setInitialWindowSize(FlowBuffer.HIGH_WATER).build())
                .setHttpProcessor(HttpProcessorBuilder.create().add(MessageFraming.REQUEST).build())
                .setCharCodingConfig(HeadBytes.CODING)
                .setIOSessionDecorator(ReadInterestGate::new)
                .setMaxTotal(config.poolSize())
                .setDefaultMaxPerRoute(config.poolSize())
                .setPoolReusePolicy(PoolReusePolicy.LIFO)
                .setPoolConcurrencyPolicy(PoolConcurrencyPolicy.LAX);
        if (sslContext != null) {
            bootstrap.setTlsStrategy(TlsContexts.clientStrategy(sslContext, config.tlsVerify()))
                    .setTlsHandshakeTimeout(config.connectTimeout());
        }
        HttpAsyncRequester requester = bootstrap.create();
        requester.start();
        return new UpstreamClient(requester, target, config.connectTimeout());
    }

    HttpHost target() {
        return target;
    }

    /** Leases a pooled connection or opens one; the callback runs on an upstream I/O thread. */
    Future<AsyncClientEndpoint> connect(FutureCallback<AsyncClientEndpoint> callback) {
        return requester.connect(target, connectTimeout, null, callback);
    }

    void close(TimeValue grace) {
        requester.initiateShutdown();
        try {
            requester.awaitShutdown(grace);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        requester.close(CloseMode.IMMEDIATE);
    }
}
