package io.towerrelay.proxy;

import io.towerrelay.edge.RequestScreen;
import io.towerrelay.http.ForwardedHeaders;
import io.towerrelay.http.HopByHopHeaders;
import io.towerrelay.upstream.UpstreamRequests;
import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.config.Cidr;
import io.towerrelay.config.ForwardedConfig;
import io.towerrelay.config.LimitsConfig;
import java.net.InetSocketAddress;
import java.util.List;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.junit.jupiter.api.Test;

class HeaderRulesTest {

    @Test
    void hopByHopAndConnectionNamedHeadersAreDropped() {
        BasicHttpRequest in = new BasicHttpRequest("GET", "/");
        in.addHeader("Host", "tower.example.com");
        in.addHeader("Connection", "keep-alive, Upgrade, X-Private");
        in.addHeader("Connection", "x-other");
        in.addHeader("Upgrade", "websocket");
        in.addHeader("X-Private", "1");
        in.addHeader("X-Other", "2");
        in.addHeader("Keep-Alive", "timeout=5");
        in.addHeader("Proxy-Connection", "keep-alive");
        in.addHeader("TE", "trailers");
        in.addHeader("Transfer-Encoding", "chunked");
        in.addHeader("Cookie", "a=1");
        in.addHeader("Cookie", "b=2");
        BasicHttpRequest out = new BasicHttpRequest("GET", "/");
        HopByHopHeaders.copyEndToEnd(in, out);
        assertThat(List.of(out.getHeaders())).extracting(h -> h.getName() + ": " + h.getValue())
                .containsExactly("Host: tower.example.com", "Cookie: a=1", "Cookie: b=2");
        assertThat(HopByHopHeaders.connectionTokens(in)).containsExactlyInAnyOrder("keep-alive", "upgrade", "x-private", "x-other");
    }

    private static BasicHttpRequest request(String... headers) {
        BasicHttpRequest r = new BasicHttpRequest("GET", "/");
        for (int i = 0; i < headers.length; i += 2) {
            r.addHeader(headers[i], headers[i + 1]);
        }
        return r;
    }

    @Test
    void forwardedHeadersFromUntrustedPeersAreReplaced() {
        ForwardedHeaders rules = new ForwardedHeaders(new ForwardedConfig(List.of(Cidr.parse("10.0.0.0/8"))));
        BasicHttpRequest in = request("Host", "tower.example.com", "X-Forwarded-For", "6.6.6.6",
                "X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil", "X-Forwarded-Port", "1");
        BasicHttpRequest out = request("X-Forwarded-For", "6.6.6.6");
        rules.apply(in, out, new InetSocketAddress("192.0.2.10", 50000), new InetSocketAddress("192.0.2.1", 8443), "https");
        assertThat(out.getFirstHeader("X-Forwarded-For").getValue()).isEqualTo("192.0.2.10");
        assertThat(out.getHeaders("X-Forwarded-For")).hasSize(1);
        assertThat(out.getFirstHeader("X-Forwarded-Proto").getValue()).isEqualTo("https");
        assertThat(out.getFirstHeader("X-Forwarded-Host").getValue()).isEqualTo("tower.example.com");
        assertThat(out.getFirstHeader("X-Forwarded-Port").getValue()).isEqualTo("8443");
    }

    /** Found by RequestHeadFuzzTest: setHeader replaced only the first copy, the client's second one went to Tower. */
    @Test
    void repeatedForwardedHeadersFromAnUntrustedPeerAreAllReplaced() {
        ForwardedHeaders rules = new ForwardedHeaders(ForwardedConfig.defaults());
        BasicHttpRequest in = request("Host", "tower.example.com", "X-Forwarded-For", "6.6.6.6", "X-Forwarded-For", "7.7.7.7",
                "X-Forwarded-Host", "a", "X-Forwarded-Host", "evil", "X-Forwarded-Proto", "http", "X-Forwarded-Proto", "https");
        BasicHttpRequest out = request("X-Forwarded-For", "6.6.6.6", "X-Forwarded-For", "7.7.7.7", "X-Forwarded-Host", "a",
                "X-Forwarded-Host", "evil", "X-Forwarded-Proto", "http", "X-Forwarded-Proto", "https");
        rules.apply(in, out, new InetSocketAddress("192.0.2.10", 50000), new InetSocketAddress("192.0.2.1", 8443), "https");
        assertThat(List.of(out.getHeaders())).extracting(h -> h.getName() + ": " + h.getValue()).containsExactlyInAnyOrder(
                "X-Forwarded-For: 192.0.2.10", "X-Forwarded-Host: tower.example.com", "X-Forwarded-Proto: https",
                "X-Forwarded-Port: 8443");
    }

    /** Found by RequestHeadFuzzTest: "Connection: Host" made the relay send Tower a request without Host. */
    @Test
    void hostIsKeptEvenWhenTheClientNamesItInConnection() {
        UpstreamRequests requests = new UpstreamRequests(java.net.URI.create("http://127.0.0.1:8052"),
                new ForwardedHeaders(ForwardedConfig.defaults()), "http");
        BasicHttpRequest in = request("Host", "tower.example.com", "Connection", "keep-alive, Host");
        assertThat(requests.create(in, org.apache.hc.core5.http.protocol.HttpCoreContext.create()).getHeaders("Host"))
                .extracting(h -> h.getValue()).containsExactly("tower.example.com");
    }

    @Test
    void forwardedHeadersFromTrustedProxiesAreKeptAndAppended() {
        ForwardedHeaders rules = new ForwardedHeaders(new ForwardedConfig(List.of(Cidr.parse("198.18.0.0/15"))));
        BasicHttpRequest in = request("Host", "relay.internal", "X-Forwarded-For", "203.0.113.5",
                "X-Forwarded-For", "198.51.100.7", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "tower.example.com",
                "X-Forwarded-Port", "443");
        BasicHttpRequest out = request("X-Forwarded-For", "203.0.113.5", "X-Forwarded-For", "198.51.100.7");
        rules.apply(in, out, new InetSocketAddress("198.18.0.3", 50000), new InetSocketAddress("198.18.0.1", 8080), "http");
        assertThat(out.getHeaders("X-Forwarded-For")).extracting(h -> h.getValue())
                .containsExactly("203.0.113.5, 198.51.100.7, 198.18.0.3");
        assertThat(out.getFirstHeader("X-Forwarded-Proto").getValue()).isEqualTo("https");
        assertThat(out.getFirstHeader("X-Forwarded-Host").getValue()).isEqualTo("tower.example.com");
        assertThat(out.getFirstHeader("X-Forwarded-Port").getValue()).isEqualTo("443");
    }

    @Test
    void screenRefusesConnectAbsoluteFormForOtherHostsAndOversizedHeads() {
        RequestScreen screen = new RequestScreen(LimitsConfig.defaults());
        assertThat(screen.check(request("Host", "t"))).isEmpty();
        BasicHttpRequest connect = new BasicHttpRequest("CONNECT", "evil:443");
        assertThat(screen.check(connect)).hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(405));
        BasicHttpRequest absolute = new BasicHttpRequest("GET", java.net.URI.create("http://evil.example/x"));
        absolute.addHeader("Host", "tower.example.com");
        assertThat(screen.check(absolute)).hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(400));
        BasicHttpRequest sameHost = new BasicHttpRequest("GET", java.net.URI.create("http://tower.example.com/x"));
        sameHost.addHeader("Host", "tower.example.com");
        assertThat(screen.check(sameHost)).isEmpty();
        BasicHttpRequest longLine = new BasicHttpRequest("GET", "/" + "a".repeat(9000));
        assertThat(screen.check(longLine)).hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(414));
        BasicHttpRequest bigHead = request("Host", "t", "Cookie", "c".repeat(40_000));
        assertThat(screen.check(bigHead)).hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(431));
        BasicHttpRequest twoHosts = request("Host", "a", "Host", "b");
        assertThat(screen.check(twoHosts)).hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(400));
    }
}
