package io.towerrelay.tunnel;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.towerrelay.config.ForwardedConfig;
import io.towerrelay.config.LimitsConfig;
import io.towerrelay.http.ForwardedHeaders;
import io.towerrelay.http.HopByHopHeaders;
import io.towerrelay.edge.RequestScreen;
import io.towerrelay.upstream.UpstreamRequests;
import io.towerrelay.testsupport.Http1Heads;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.impl.BasicEndpointDetails;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.util.Timeout;

/**
 * Jazzer on WebSocket upgrade handling, both heads of a handshake. The input is split after its first empty line:
 * a client request head, then the upstream's answer (the seeds in UpgradeFuzzTestInputs/ read that way).
 * <ul>
 *   <li>Client side: HttpCore5's parser, the relay's screen, then {@code isWebSocketUpgrade} (never throws). For an
 *       upgrade, the handshake head the tunnel writes upstream ({@link MessageHeads#requestHead}) parses back to
 *       exactly one head (nothing Tower could read as a second request) with the same method and target, one
 *       {@code Upgrade: websocket}, one {@code Connection: Upgrade}, no other hop-by-hop header, and every
 *       {@code Sec-WebSocket-*} header the client sent, unchanged and in order.</li>
 *   <li>Upstream side: {@link MessageHeads#parseResponseHead} returns null (more bytes needed, none consumed), throws
 *       HttpException (the tunnel answers 502), or returns the head and leaves exactly the bytes after it (the
 *       first WebSocket frames may come in the same read). A 101 with {@code Upgrade: websocket} becomes a 101 head
 *       for the client that parses back to one head with the upstream's end-to-end headers unchanged and one
 *       upgrade pair; any other answer is handed to HttpCore5 without framing or upgrade headers.</li>
 * </ul>
 */
class UpgradeFuzzTest {
    private static final RequestScreen SCREEN = new RequestScreen(LimitsConfig.defaults());
    private static final UpstreamRequests UPSTREAM = new UpstreamRequests(URI.create("http://127.0.0.1:8052"),
            new ForwardedHeaders(ForwardedConfig.defaults()), "http");
    private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding", "upgrade", "connection");

    @FuzzTest(maxDuration = "10s")
    void handshakeHeadsAreWrittenUnambiguously(byte[] input) throws IOException, HttpException {
        int end = indexOfHeadEnd(input);
        int split = end < 0 ? input.length : end + 4;
        clientHandshake(Arrays.copyOfRange(input, 0, split));
        upstreamAnswer(Arrays.copyOfRange(input, split, input.length));
    }

    private static void clientHandshake(byte[] bytes) throws IOException, HttpException {
        Http1Heads.Parsed<HttpRequest> parsed;
        try {
            parsed = Http1Heads.request(bytes);
        } catch (HttpException | IOException | IllegalArgumentException parserRefused) {
            return;
        }
        if (parsed == null) {
            return;
        }
        HttpRequest request = parsed.head();
        request.setScheme("http"); // as HttpCore5's server duplexer does
        if (SCREEN.check(request).isPresent() || !WebSocketTunnels.isWebSocketUpgrade(request)) {
            return;
        }
        HttpCoreContext context = HttpCoreContext.create();
        context.setEndpointDetails(new BasicEndpointDetails(new InetSocketAddress("127.0.0.1", 50_000),
                new InetSocketAddress("127.0.0.1", 8080), null, Timeout.ofSeconds(1)));
        HttpRequest outgoing = UPSTREAM.create(request, context);
        byte[] wire = bytes(MessageHeads.requestHead(outgoing));
        Http1Heads.Parsed<HttpRequest> again = Http1Heads.request(wire);
        check(again != null && again.bytesAfter() == 0, "not exactly one head", wire);
        HttpRequest seen = again.head();
        check(seen.getMethod().equals(request.getMethod()), "method changed", wire);
        check(seen.getPath().equals(request.getPath()), "target changed from " + request.getPath(), wire);
        check(WebSocketTunnels.isWebSocketUpgrade(seen), "not an upgrade any more", wire);
        check(values(seen, "Upgrade").equals(List.of("websocket")), "Upgrade is not exactly websocket", wire);
        check(values(seen, "Connection").equals(List.of("Upgrade")), "Connection is not exactly Upgrade", wire);
        for (Header h : seen.getHeaders()) {
            String name = h.getName().toLowerCase(Locale.ROOT);
            check(name.equals("upgrade") || name.equals("connection") || !HopByHopHeaders.ALWAYS.contains(name),
                    "hop-by-hop header passed: " + h, wire);
            check(!name.equals("content-length"), "Content-Length passed", wire);
        }
        Set<String> named = HopByHopHeaders.connectionTokens(request);
        check(secWebSocket(seen, Set.of()).equals(secWebSocket(request, named)), "Sec-WebSocket-* headers changed", wire);
    }

    private static void upstreamAnswer(byte[] bytes) throws IOException, HttpException {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        HttpResponse head;
        try {
            head = MessageHeads.parseResponseHead(in);
        } catch (HttpException refused) {
            return; // 502 to the client
        }
        int end = indexOfHeadEnd(bytes);
        if (head == null) {
            check(end < 0 && in.position() == 0, "no head returned though the bytes hold one, or bytes consumed", bytes);
            return;
        }
        check(in.position() == end + 4, "bytes after the head not kept (position " + in.position() + ")", bytes);
        if (head.getCode() == 101 && UpgradeHeaders.hasWebSocketUpgrade(head)) {
            byte[] wire = bytes(MessageHeads.switchingHead(head));
            Http1Heads.Parsed<HttpResponse> again = Http1Heads.response(wire);
            check(again != null && again.bytesAfter() == 0, "101 head is not exactly one head", wire);
            HttpResponse seen = again.head();
            check(seen.getCode() == 101, "not a 101", wire);
            check(values(seen, "Upgrade").equals(List.of("websocket")), "Upgrade is not exactly websocket", wire);
            check(values(seen, "Connection").equals(List.of("Upgrade")), "Connection is not exactly Upgrade", wire);
            check(endToEnd(seen, Set.of()).equals(endToEnd(head, HopByHopHeaders.connectionTokens(head))),
                    "upstream headers changed on the way to the client", wire);
        } else if (head.getCode() != 101) {
            for (Header h : MessageHeads.relayedHead(head).getHeaders()) {
                check(!FRAMING.contains(h.getName().toLowerCase(Locale.ROOT)), "framing or upgrade header relayed: " + h, bytes);
            }
        }
    }

    private static List<String> values(org.apache.hc.core5.http.HttpMessage message, String name) {
        List<String> values = new ArrayList<>();
        for (Header h : message.getHeaders(name)) {
            values.add(h.getValue());
        }
        return values;
    }

    private static List<String> secWebSocket(org.apache.hc.core5.http.HttpMessage message, Set<String> dropped) {
        List<String> lines = new ArrayList<>();
        for (Header h : message.getHeaders()) {
            String name = h.getName().toLowerCase(Locale.ROOT);
            if (name.startsWith("sec-websocket-") && !dropped.contains(name)) {
                lines.add(name + ": " + h.getValue());
            }
        }
        return lines;
    }

    private static List<String> endToEnd(HttpResponse response, Set<String> named) {
        List<String> lines = new ArrayList<>();
        for (Header h : response.getHeaders()) {
            String name = h.getName().toLowerCase(Locale.ROOT);
            if (!HopByHopHeaders.ALWAYS.contains(name) && !named.contains(name) && !name.equals("content-length")) {
                lines.add(h.getName() + ": " + h.getValue());
            }
        }
        return lines;
    }

    private static int indexOfHeadEnd(byte[] b) {
        for (int i = 0; i + 3 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.get(b);
        return b;
    }

    private static void check(boolean holds, String what, byte[] head) {
        if (!holds) {
            throw new AssertionError(what + "; head:\n" + new String(head, StandardCharsets.ISO_8859_1));
        }
    }
}
