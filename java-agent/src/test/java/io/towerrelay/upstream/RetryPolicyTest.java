package io.towerrelay.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.upstream.RetryPolicy.Attempt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    private static Attempt sent() {
        return new Attempt(0, true, true, false, false);
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "get"})
    void idempotentRequestThatMayHaveReachedTheNodeIsRetriedOnce(String method) {
        assertThat(RetryPolicy.mayRetry(method, sent())).isTrue();
        assertThat(RetryPolicy.mayRetry(method, new Attempt(1, true, true, false, false))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PATCH", "CONNECT", "FOO"})
    void otherMethodsThatMayHaveReachedTheNodeAreNeverRetried(String method) {
        assertThat(RetryPolicy.mayRetry(method, sent())).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PATCH", "GET"})
    void anyMethodIsRetriedWhenNothingReachedTheNode(String method) {
        assertThat(RetryPolicy.mayRetry(method, new Attempt(0, false, true, false, false))).isTrue();
    }

    @Test
    void nothingIsRetriedOnceTheResponseStarted() {
        assertThat(RetryPolicy.mayRetry("GET", new Attempt(0, true, true, true, false))).isFalse();
        assertThat(RetryPolicy.mayRetry("GET", new Attempt(0, false, true, true, false))).isFalse();
    }

    @Test
    void aBodyAlreadyStreamedIsNotSentAgain() {
        assertThat(RetryPolicy.mayRetry("PUT", new Attempt(0, true, false, false, false))).isFalse();
    }

    @Test
    void aNodeThatTookTheRequestAndWasSlowIsNotAskedTwice() {
        assertThat(RetryPolicy.mayRetry("GET", new Attempt(0, true, true, false, true))).isFalse();
    }
}
