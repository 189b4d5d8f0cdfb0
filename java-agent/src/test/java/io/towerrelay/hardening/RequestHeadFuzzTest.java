package io.towerrelay.hardening;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.towerrelay.config.LimitsConfig;
import io.towerrelay.proxy.Refusal;
import io.towerrelay.proxy.RequestScreen;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Optional;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.impl.io.DefaultHttpRequestParser;
import org.apache.hc.core5.http.impl.io.SessionInputBufferImpl;

/**
 * Jazzer on request-head handling: bytes parsed by HttpCore5's HTTP/1.1 request parser (the one the relay's
 * listener uses), then the relay's RequestScreen. The screen must never throw, and a head it lets through must
 * be unambiguous: no control characters in values, at most one Content-Length (digits only), never
 * Content-Length with Transfer-Encoding, a method that is a token.
 */
class RequestHeadFuzzTest {
    private static final RequestScreen SCREEN = new RequestScreen(LimitsConfig.defaults());

    @FuzzTest(maxDuration = "60s")
    void screenedHeadsAreUnambiguous(byte[] head) throws IOException {
        ClassicHttpRequest request;
        try {
            request = new DefaultHttpRequestParser().parse(new SessionInputBufferImpl(8192), new ByteArrayInputStream(head));
        } catch (HttpException | IOException | IllegalArgumentException parserRefused) {
            return; // HttpCore5 answers 400 / closes: never reaches the relay's handler
        }
        if (request == null) {
            return;
        }
        Optional<Refusal> refusal = SCREEN.check(request);
        if (refusal.isPresent()) {
            return;
        }
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
}
