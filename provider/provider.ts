// Kept because state written by earlier versions requires this path for the image template's serialized provider.
import imageTemplateProvider = require("./image-template/provider");
export = imageTemplateProvider;
