import { startEmulator, type RunningEmulator, type Timing } from "../emulator";

/**
 * Runs one measured case against an emulator with `timing`: the harness's own (reset first, so the case sees only
 * its own templates and requests) when given, else one started for the case and stopped after it, as the sections'
 * stand-alone entry points need. Starting an emulator (and its Azurite) per case cost the full run seconds each.
 */
export async function onEmulator<T>(
  shared: RunningEmulator | undefined,
  timing: Partial<Timing>,
  run: (emu: RunningEmulator) => Promise<T>,
): Promise<T> {
  if (shared) {
    await shared.admin.reset();
    await shared.admin.setTiming(timing);
    return run(shared);
  }
  const emu = await startEmulator({ port: 0, quiet: true, ...timing });
  try {
    return await run(emu);
  } finally {
    emu.admin.close();
    await emu.stop();
  }
}
