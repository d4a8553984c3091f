package dev.specserve.controller.config;

/** Who adapts a serving process's drafter (setting {@code adaptation}). */
public enum AdaptationMode {
    /** This process trains, shadow-checks and swaps, and publishes what it swaps in to the fleet topic. */
    LOCAL,
    /** This process trains nothing and applies the versions published on the fleet topic (by a trainer). */
    FOLLOW,
    /** This process neither trains nor follows; its versions change only by operator action. */
    OFF
}
