return {
  connect = function(
