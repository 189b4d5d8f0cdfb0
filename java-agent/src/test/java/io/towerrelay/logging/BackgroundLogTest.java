package io.towerrelay.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BackgroundLogTest {

    @Test
    void linesAreWrittenOffTheCallingThreadInOrder() {
        List<String> written = Collections.synchronizedList(new ArrayList<>());
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 1000; i++) {
            int n = i;
            BackgroundLog.submit(() -> {
                written.add("line " + n);
                threads.add(Thread.currentThread().getName());
            });
        }
        BackgroundLog.flush(Duration.ofSeconds(30));

        assertThat(written).containsExactlyElementsOf(IntStream.range(0, 1000).mapToObj(i -> "line " + i).toList());
        assertThat(threads).doesNotContain(Thread.currentThread().getName());
    }

    @Test
    void aFailingWriteDoesNotStopTheWriter() {
        List<String> written = Collections.synchronizedList(new ArrayList<>());
        BackgroundLog.submit(() -> {
            throw new IllegalStateException("stream closed");
        });
        BackgroundLog.submit(() -> written.add("after"));
        BackgroundLog.flush(Duration.ofSeconds(30));

        assertThat(written).containsExactly("after");
    }
}
