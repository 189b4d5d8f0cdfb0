package io.towerrelay.bench.proxies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.towerrelay.bench.proxies.ProcessTree.Cpu;
import io.towerrelay.bench.proxies.ProcessTree.Cpu.Ticks;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessTreeTest {

    private static final double MICROS_PER_TICK = 1e6 / ProcessTree.clockTicksPerSecond();

    @Test
    void totalIsUserPlusSystemAndUserIsUserAlone() {
        Cpu before = new Cpu(Map.of(1L, new Ticks(10, 4)));
        Cpu after = new Cpu(Map.of(1L, new Ticks(17, 6)));
        assertThat(after.microsSince(before)).isCloseTo(9 * MICROS_PER_TICK, within(1e-6));
        assertThat(after.userMicrosSince(before)).isCloseTo(7 * MICROS_PER_TICK, within(1e-6));
    }

    @Test
    void processesAreCountedOneByOne() {
        // 1 ran on; 2 exited (nothing, not minus its ticks before); 3 started meanwhile (in full)
        Cpu before = new Cpu(Map.of(1L, new Ticks(100, 50), 2L, new Ticks(40, 30)));
        Cpu after = new Cpu(Map.of(1L, new Ticks(103, 51), 3L, new Ticks(5, 2)));
        assertThat(after.microsSince(before)).isCloseTo((3 + 1 + 5 + 2) * MICROS_PER_TICK, within(1e-6));
        assertThat(after.userMicrosSince(before)).isCloseTo((3 + 5) * MICROS_PER_TICK, within(1e-6));
    }

    @Test
    void nothingSinceItself() {
        Cpu now = new Cpu(Map.of(1L, new Ticks(8, 3)));
        assertThat(now.microsSince(now)).isZero();
        assertThat(now.userMicrosSince(now)).isZero();
        assertThat(new Cpu(Map.of()).microsSince(now)).isZero();
    }

    @Test
    void readsThisJvmFromProc() throws Exception {
        long pid = ProcessHandle.current().pid();
        Ticks ticks = ProcessTree.cpu(pid).ticksByPid().get(pid);
        // a JVM that has loaded JUnit has spent far more than one 10 ms tick of user time
        assertThat(ticks.user()).isPositive();
        assertThat(ticks.system()).isNotNegative();
    }
}
