package io.towerrelay.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An I/O thread's free read buffers: reused by that thread only, a few at most, of one size. */
class ReadBuffersTest {
    private final ReadBuffers buffers = new ReadBuffers(128, Thread.currentThread());

    @Test
    void aBufferGivenBackIsLentAgainEmptyAndInFillMode() {
        ByteBuffer first = buffers.lend();
        first.put(new byte[] {1, 2, 3}).flip();
        buffers.giveBack(first);
        ByteBuffer again = buffers.lend();
        assertThat(again).isSameAs(first);
        assertThat(again.position()).isZero();
        assertThat(again.limit()).isEqualTo(128);
    }

    @Test
    void atMostKeptBuffersAreKeptAndOtherSizesNever() {
        List<ByteBuffer> lent = new ArrayList<>();
        for (int i = 0; i < ReadBuffers.KEPT + 4; i++) {
            lent.add(buffers.lend());
        }
        lent.forEach(buffers::giveBack);
        buffers.giveBack(ByteBuffer.allocate(256));
        List<ByteBuffer> again = new ArrayList<>();
        for (int i = 0; i < ReadBuffers.KEPT + 4; i++) {
            again.add(buffers.lend());
        }
        assertThat(again.stream().filter(b -> lent.stream().anyMatch(l -> l == b)).count()).isEqualTo(ReadBuffers.KEPT);
        assertThat(again).allSatisfy(b -> assertThat(b.capacity()).isEqualTo(128));
    }

    @Test
    void anotherThreadNeitherTakesFromNorAddsToTheFreeList() throws Exception {
        ByteBuffer mine = buffers.lend();
        buffers.giveBack(mine);
        ByteBuffer[] seen = new ByteBuffer[1];
        ByteBuffer theirs = ByteBuffer.allocate(128);
        Thread other = new Thread(() -> {
            seen[0] = buffers.lend();
            buffers.giveBack(theirs);
        });
        other.start();
        other.join();
        assertThat(seen[0]).as("lent on another thread: a new buffer").isNotSameAs(mine);
        assertThat(buffers.lend()).as("the owner's free list is as it left it").isSameAs(mine);
        assertThat(buffers.lend()).as("nothing was added by the other thread").isNotSameAs(theirs);
    }
}
