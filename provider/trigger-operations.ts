// Kept because serialized providers in state written by earlier versions load this path (trigger operations).
export * from "./trigger/operations";
