// io core
