return {
  connect = function(ev)
    if ev.port == 22 then
      return nil
  end,
}
