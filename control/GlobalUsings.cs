global using Whim.Control.Api;
global using Whim.Control.Storage;
global using Whim.Control.Tokens;
