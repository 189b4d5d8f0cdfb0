package io.towerrelay.http;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.NotImplementedException;
import org.apache.hc.core5.http.ProtocolException;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.junit.jupiter.api.Test;

class RequestFramingTest {

    private static HttpRequest post(String... headers) {
        BasicHttpRequest request = new BasicHttpRequest("POST", "/");
        request.setVersion(HttpVersion.HTTP_1_1);
        for (int i = 0; i < headers.length; i += 2) {
            request.addHeader(headers[i], headers[i + 1]);
        }
        return request;
    }

    @Test
    void usableFramingPasses() {
        assertThatCode(() -> RequestFraming.check(post())).doesNotThrowAnyException();
        assertThatCode(() -> RequestFraming.check(post("Content-Length", "0"))).doesNotThrowAnyException();
        assertThatCode(() -> RequestFraming.check(post("Content-Length", "123456789012345678"))).doesNotThrowAnyException();
        assertThatCode(() -> RequestFraming.check(post("Transfer-Encoding", "chunked"))).doesNotThrowAnyException();
        assertThatCode(() -> RequestFraming.check(post("Transfer-Encoding", "Chunked"))).doesNotThrowAnyException();
        // RFC 9110 5.6.1: empty list elements are ignored.
        assertThatCode(() -> RequestFraming.check(post("Transfer-Encoding", " , chunked"))).doesNotThrowAnyException();
    }

    @Test
    void contentLengthMustBeOneRunOfDigits() {
        for (String bad : new String[] {"-1", "+1", "0x1", "", " ", "1 2", "1,1", "1, 2", "a", "1234567890123456789"}) {
            assertThatThrownBy(() -> RequestFraming.check(post("Content-Length", bad))).as(bad)
                    .isExactlyInstanceOf(ProtocolException.class);
        }
        assertThatThrownBy(() -> RequestFraming.check(post("Content-Length", "1", "Content-Length", "1")))
                .isExactlyInstanceOf(ProtocolException.class).hasMessage("more than one Content-Length");
    }

    @Test
    void transferEncodingMustEndInOneChunked() {
        for (String bad : new String[] {"gzip", "identity", "chunked, gzip", "xchunked", "", "chunked, chunked", "chunked;x=1"}) {
            assertThatThrownBy(() -> RequestFraming.check(post("Transfer-Encoding", bad))).as(bad)
                    .isExactlyInstanceOf(ProtocolException.class);
        }
        assertThatThrownBy(() -> RequestFraming.check(post("Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked")))
                .isExactlyInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> RequestFraming.check(post("Transfer-Encoding", "gzip, chunked")))
                .isInstanceOf(NotImplementedException.class);
        assertThatThrownBy(() -> RequestFraming.check(post("Transfer-Encoding", "chunked", "Content-Length", "0")))
                .hasMessage("both Transfer-Encoding and Content-Length");
        HttpRequest old = post("Transfer-Encoding", "chunked");
        old.setVersion(HttpVersion.HTTP_1_0);
        assertThatThrownBy(() -> RequestFraming.check(old)).hasMessage("Transfer-Encoding in an HTTP/1.0 request");
    }
}
