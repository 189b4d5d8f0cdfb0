package io.towerrelay.logging;

import io.towerrelay.common.ClientEndpoint;
import java.net.InetSocketAddress;
import java.time.Instant;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.ProtocolVersion;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.protocol.HttpCoreContext;

/**
 * What the access log and metrics need to know about one exchange, filled in as it goes. Status 499 means the
 * client went away before a response was sent (NGINX's convention). Callers hold the exchange's lock.
 */
public final class ExchangeRecord {
    final Instant start = Instant.now();
    final long startNanos = System.nanoTime();
    /** The client's address as text, made when first asked for (most exchanges are not logged). */
    private String remote;
    private InetSocketAddress peer;
    public String method = "-";
    public String target = "-";
    String protocol = "HTTP/1.1";
    /** The client's request, for the header fields the access log writes, read only when it writes them. */
    private HttpRequest request;
    public int status = 499;
    public long bytesIn;
    public long bytesOut;
    /** Why the relay answered itself or the exchange broke; null when the upstream answered normally. */
    public String error;
    /** The upstream node (host:port) the request went to last, or null when none was chosen. */
    public String upstream;
    /** How many times the request was sent again on a new connection. */
    public int retries;
    private boolean finished;

    public void begin(HttpRequest request, HttpContext context) {
        this.request = request;
        method = request.getMethod();
        target = request.getRequestUri();
        peer = ClientEndpoint.of(context).remote();
        ProtocolVersion version = HttpCoreContext.cast(context).getProtocolVersion();
        if (version != null) {
            protocol = HttpVersion.HTTP_1_1.equals(version) ? "HTTP/1.1" : version.format();
        }
    }

    /** The client's IP address, or "-". */
    public String remote() {
        if (remote == null) {
            remote = peer != null && peer.getAddress() != null ? peer.getAddress().getHostAddress() : "-";
        }
        return remote;
    }

    public void remote(String address) {
        remote = address;
    }

    String host() {
        return field("Host");
    }

    String referer() {
        return field("Referer");
    }

    String userAgent() {
        return field("User-Agent");
    }

    /** The protocol the client spoke, as the access log writes it: HTTP/1.0, HTTP/1.1 or HTTP/2.0. */
    public String protocol() {
        return protocol;
    }

    /** True once: the caller that gets true logs and counts the exchange. */
    public boolean finish() {
        if (finished) {
            return false;
        }
        finished = true;
        return true;
    }

    public long elapsedNanos() {
        return System.nanoTime() - startNanos;
    }

    private String field(String name) {
        Header header = request == null ? null : request.getFirstHeader(name);
        return header == null ? null : header.getValue();
    }
}
