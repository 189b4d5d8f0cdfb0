package io.towerrelay.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.OptionalLong;
import org.apache.hc.core5.http.EndpointDetails;
import org.apache.hc.core5.http.impl.BasicEndpointDetails;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.junit.jupiter.api.Test;

class KeepAliveDeadlinesTest {

    private static BasicHttpResponse withKeepAlive(String value) {
        BasicHttpResponse response = new BasicHttpResponse(200);
        if (value != null) {
            response.addHeader("Keep-Alive", value);
        }
        return response;
    }

    private static EndpointDetails connection() {
        return new BasicEndpointDetails(new InetSocketAddress("127.0.0.1", 8052), new InetSocketAddress("127.0.0.1", 40000),
                null, null);
    }

    @Test
    void readsTheTimeoutParameter() {
        assertThat(KeepAliveDeadlines.timeoutSeconds(withKeepAlive("timeout=5, max=100"))).isEqualTo(OptionalLong.of(5));
        assertThat(KeepAliveDeadlines.timeoutSeconds(withKeepAlive("max=100,Timeout = 15"))).isEqualTo(OptionalLong.of(15));
        assertThat(KeepAliveDeadlines.timeoutSeconds(withKeepAlive("timeout=\"3\""))).isEqualTo(OptionalLong.of(3));
        assertThat(KeepAliveDeadlines.timeoutSeconds(withKeepAlive("max=100"))).isEmpty();
        assertThat(KeepAliveDeadlines.timeoutSeconds(withKeepAlive("timeout=soon"))).isEmpty();
        assertThat(KeepAliveDeadlines.timeoutSeconds(withKeepAlive(null))).isEmpty();
    }

    @Test
    void aConnectionExpiresOnlyOnceItsTimeoutLessTheMarginHasPassed() throws InterruptedException {
        KeepAliveDeadlines deadlines = new KeepAliveDeadlines();
        EndpointDetails shortLived = connection();
        EndpointDetails longLived = connection();
        EndpointDetails silent = connection();
        deadlines.answered(shortLived, withKeepAlive("timeout=0"));
        deadlines.answered(longLived, withKeepAlive("timeout=60"));
        deadlines.answered(silent, withKeepAlive(null));
        assertThat(deadlines.expired(shortLived)).isTrue();
        assertThat(deadlines.expired(longLived)).isFalse();
        assertThat(deadlines.expired(silent)).as("no Keep-Alive header: no deadline").isFalse();
        // A later answer without the header lifts the deadline.
        deadlines.answered(shortLived, withKeepAlive(null));
        assertThat(deadlines.expired(shortLived)).isFalse();
    }
}
