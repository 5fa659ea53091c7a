// Kept because serialized providers in state written by earlier versions load this path (image template operations).
export * from "./image-template/operations";
