/** The service the emulator stands in for: its resource provider namespace and the one API version it answers. */
export const API_VERSION = "2025-10-01";
export const PROVIDER = "Microsoft.VirtualMachineImages";
