package io.towerrelay.proxy;

import io.towerrelay.common.ClientEndpoint;
import io.towerrelay.edge.ProxyProtocol;
import io.towerrelay.logging.ExchangeRecord;
import java.net.InetSocketAddress;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.HttpResponseInterceptor;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.protocol.HttpCoreContext;

/**
 * An access-log line and a metric for the answers the listener's HTTP/1.1 handler gives itself when it refuses a
 * request head while parsing it (a request line it cannot read, a framing error found by {@code RequestFraming}, a
 * head over the limit): no exchange handler runs for those, so nothing else would record them. They are the responses written without a
 * request on their context. The reason is in the answer's body, which a response interceptor does not see.
 */
final class ParserAnswerLog implements HttpResponseInterceptor {
    private final ProxyServices services;
    private final ProxyProtocol proxyProtocol;

    /** @param proxyProtocol the listener's PROXY protocol handling (names the balancer's client), or null */
    ParserAnswerLog(ProxyServices services, ProxyProtocol proxyProtocol) {
        this.services = services;
        this.proxyProtocol = proxyProtocol;
    }

    @Override
    public void process(HttpResponse response, EntityDetails entity, HttpContext context) {
        if (context == null || HttpCoreContext.cast(context).getRequest() != null || response.getCode() < 400) {
            return;
        }
        if (proxyProtocol != null) {
            proxyProtocol.attachClient(context);
        }
        ExchangeRecord record = new ExchangeRecord();
        InetSocketAddress peer = ClientEndpoint.of(context).remote();
        if (peer != null && peer.getAddress() != null) {
            record.remote(peer.getAddress().getHostAddress());
        }
        record.status = response.getCode();
        record.bytesOut = entity == null || entity.getContentLength() < 0 ? 0 : entity.getContentLength();
        record.error = "request head refused by the HTTP/1.1 parser";
        services.finish(record);
    }
}
