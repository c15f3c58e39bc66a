// Transitional: until every module imports OrderedJSON and FileSupport itself.
@_exported public import OrderedJSON
@_exported public import FileSupport
