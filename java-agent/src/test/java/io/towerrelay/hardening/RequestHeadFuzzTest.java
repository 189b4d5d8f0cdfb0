package io.towerrelay.hardening;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.towerrelay.config.ForwardedConfig;
import io.towerrelay.config.LimitsConfig;
import io.towerrelay.http.ForwardedHeaders;
import io.towerrelay.http.HopByHopHeaders;
import io.towerrelay.edge.Refusal;
import io.towerrelay.edge.RequestScreen;
import io.towerrelay.upstream.UpstreamRequests;
import io.towerrelay.testsupport.Http1Heads;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.impl.BasicEndpointDetails;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.util.Timeout;

/**
 * Jazzer on request-head handling: bytes parsed by the relay listener's HTTP/1.1 request parser and framing check,
 * then the relay's RequestScreen, then the head the relay builds for Tower (UpstreamRequests), written the way its
 * upstream client writes it and parsed again. Properties:
 * <ul>
 *   <li>the screen never throws (a refusal is an answer, not an exception);</li>
 *   <li>a head it lets through is unambiguous: no control characters in values, at most one digits-only
 *       Content-Length, never Content-Length with Transfer-Encoding, a token method;</li>
 *   <li>the head sent upstream round-trips: it parses back to exactly one head (no bytes left over that Tower could
 *       read as a second request), with the same method, target and header lines, and the screen accepts it;</li>
 *   <li>it carries no hop-by-hop header, no header the client named in Connection, and every other header the client
 *       sent, in order; Host once, the client's (even if named in Connection); X-Forwarded-* from this untrusted
 *       peer once each, set by the relay.</li>
 * </ul>
 * Without JAZZER_FUZZ (surefire's default run) it replays the inputs in RequestHeadFuzzTestInputs/; with it (the
 * {@code fuzz-*} executions in java-agent/pom.xml, and docs/reliability.md for a long run) it fuzzes.
 */
class RequestHeadFuzzTest {
    private static final RequestScreen SCREEN = new RequestScreen(LimitsConfig.defaults());
    private static final UpstreamRequests UPSTREAM = new UpstreamRequests(URI.create("http://127.0.0.1:8052"),
            new ForwardedHeaders(ForwardedConfig.defaults()), "http");
    private static final InetSocketAddress PEER = new InetSocketAddress("127.0.0.1", 50_000);
    private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 8080);
    private static final Set<String> FORWARDED = Set.of("x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
            "x-forwarded-port");

    @FuzzTest(maxDuration = "10s")
    void screenedHeadsAreUnambiguousAndRoundTrip(byte[] bytes) throws IOException, HttpException {
        Http1Heads.Parsed<HttpRequest> parsed;
        try {
            parsed = Http1Heads.request(bytes);
        } catch (HttpException | IOException | IllegalArgumentException parserRefused) {
            return; // the listener answers 400 / 501 / 505 and closes: never reaches the exchange
        }
        if (parsed == null) {
            return;
        }
        HttpRequest request = parsed.head();
        request.setScheme("http"); // as the listener's handler does with every request it parsed
        Optional<Refusal> refusal = SCREEN.check(request);
        if (refusal.isPresent()) {
            return;
        }
        assertUnambiguous(request);

        HttpCoreContext context = HttpCoreContext.create();
        context.setEndpointDetails(new BasicEndpointDetails(PEER, LOCAL, null, Timeout.ofSeconds(1)));
        HttpRequest outgoing = UPSTREAM.create(request, context);
        byte[] wire = Http1Heads.write(outgoing);
        Http1Heads.Parsed<HttpRequest> again = Http1Heads.request(wire);
        check(again != null, "the upstream head does not parse back", wire);
        check(again.bytesAfter() == 0, "bytes after the upstream head", wire);
        HttpRequest seen = again.head();
        check(SCREEN.check(seen).isEmpty(), "the relay would refuse its own upstream head: " + SCREEN.check(seen), wire);
        check(seen.getMethod().equals(request.getMethod()), "method changed", wire);
        check(seen.getPath().equals(request.getPath()), "target changed from " + request.getPath(), wire);
        check(Http1Heads.headerLines(seen.getHeaders()).equals(Http1Heads.headerLines(outgoing.getHeaders())),
                "headers changed on the wire", wire);

        Set<String> named = HopByHopHeaders.connectionTokens(request);
        List<String> expected = new ArrayList<>();
        for (Header h : request.getHeaders()) {
            String name = h.getName().toLowerCase(Locale.ROOT);
            if (!HopByHopHeaders.isHopByHop(name, named) && !FORWARDED.contains(name)
                    && !name.equals("content-length") && !name.equals("expect") && !name.equals("host")) {
                expected.add(h.getName() + ": " + h.getValue());
            }
        }
        List<String> passed = new ArrayList<>();
        Header clientHost = request.getFirstHeader("Host");
        Header[] hosts = seen.getHeaders("Host");
        check(hosts.length == 1 && hosts[0].getValue().equals(clientHost == null ? "127.0.0.1:8052" : clientHost.getValue()),
                "Host not the client's, once", wire);
        for (Header h : seen.getHeaders()) {
            String name = h.getName().toLowerCase(Locale.ROOT);
            check(!HopByHopHeaders.ALWAYS.contains(name), "hop-by-hop header passed: " + h, wire);
            check(!name.equals("content-length"), "Content-Length passed", wire);
            if (FORWARDED.contains(name)) {
                check(seen.getHeaders(h.getName()).length == 1, "more than one " + h.getName() + " upstream", wire);
                continue;
            }
            if (name.equals("host")) {
                continue;
            }
            check(!named.contains(name), "header named in Connection passed: " + h, wire);
            passed.add(h.getName() + ": " + h.getValue());
        }
        check(passed.equals(expected), "end-to-end headers changed: sent " + expected + ", upstream got " + passed, wire);
        check(seen.getFirstHeader("X-Forwarded-For").getValue().equals("127.0.0.1"),
                "X-Forwarded-For from an untrusted peer kept", wire);
    }

    private static void assertUnambiguous(HttpRequest request) {
        int contentLengths = 0;
        boolean chunked = false;
        for (Header h : request.getHeaders()) {
            for (char c : h.getValue().toCharArray()) {
                if ((c < 0x20 && c != '\t') || c == 0x7f) {
                    throw new AssertionError("control character passed in " + h.getName());
                }
            }
            if (h.getName().equalsIgnoreCase("Content-Length")) {
                contentLengths++;
                if (!h.getValue().matches("[0-9]+")) {
                    throw new AssertionError("bad Content-Length passed: " + h.getValue());
                }
            }
            chunked |= h.getName().equalsIgnoreCase("Transfer-Encoding");
        }
        if (contentLengths > 1 || (contentLengths == 1 && chunked)) {
            throw new AssertionError("ambiguous framing passed");
        }
        if (!request.getMethod().matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
            throw new AssertionError("method passed: " + request.getMethod());
        }
    }

    private static void check(boolean holds, String what, byte[] wire) {
        if (!holds) {
            throw new AssertionError(what + "; upstream head:\n" + new String(wire, java.nio.charset.StandardCharsets.ISO_8859_1));
        }
    }
}
